import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from '@mercato/logger';
import { LOGGER, SERVICE_CONFIG } from '@mercato/service-kit';
import type { ProductConfig } from '../product.config.js';
import { StockService } from './stock.service.js';

/** Periodically returns the stock of reservations whose payment never came. */
@Injectable()
export class ReservationSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly stock: StockService,
    @Inject(SERVICE_CONFIG) private readonly config: ProductConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    }, this.config.RESERVATION_SWEEP_INTERVAL);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Expires every due reservation, in batches. */
  async sweep(): Promise<void> {
    try {
      let expired: string[];
      do {
        expired = await this.stock.expireDue();
        if (expired.length > 0)
          this.logger.info({ orderIds: expired }, 'expired stock reservations released');
      } while (expired.length > 0);
    } catch (error) {
      this.logger.error({ err: error }, 'reservation sweep failed');
    }
  }
}
