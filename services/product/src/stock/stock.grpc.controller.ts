import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { z } from 'zod';
import { parseRequest } from '@mercato/grpc';
import { lineItemsSchema, plainText } from '@mercato/contracts';
import {
  ReservationStatus,
  type CommitStockResponse,
  type ReleaseStockResponse,
  type Reservation,
  type ReserveStockResponse,
} from '@mercato/contracts/product';
import { SERVICE_CONFIG } from '@mercato/service-kit';
import type { ProductConfig } from '../product.config.js';
import { toProductMessage } from '../catalog/catalog.grpc.controller.js';
import { StockService, type ReservationRecord } from './stock.service.js';

const SERVICE = 'ProductService';
/** Upper bounds that keep one request's work small; real baskets are far below them. */
export const MAX_LINES = 100;
export const MAX_QUANTITY = 1000;

const orderId = plainText(128).min(1, 'must not be empty');

const reserveStockRequest = z.object({
  orderId,
  lines: lineItemsSchema({ maxLines: MAX_LINES, maxQuantity: MAX_QUANTITY }),
});
const orderOnlyRequest = z.object({ orderId });

const toReservationMessage = (record: ReservationRecord): Reservation => ({
  orderId: record.orderId,
  status: ReservationStatus[`RESERVATION_STATUS_${record.status}`],
  lines: record.lines,
  expiresAt: record.expiresAt.toISOString(),
});

/** The write side of mercato.product.v1.ProductService: per-order stock reservations. */
@Controller()
export class StockGrpcController {
  constructor(
    private readonly stock: StockService,
    @Inject(SERVICE_CONFIG) private readonly config: ProductConfig,
  ) {}

  @GrpcMethod(SERVICE, 'ReserveStock')
  async reserveStock(request: unknown): Promise<ReserveStockResponse> {
    const { orderId: id, lines } = parseRequest(reserveStockRequest, request);
    const { reservation, products } = await this.stock.reserve(
      id,
      lines,
      this.config.RESERVATION_TTL,
    );
    return {
      reservation: toReservationMessage(reservation),
      products: products.map(toProductMessage),
    };
  }

  @GrpcMethod(SERVICE, 'ReleaseStock')
  async releaseStock(request: unknown): Promise<ReleaseStockResponse> {
    const { orderId: id } = parseRequest(orderOnlyRequest, request);
    return { reservation: toReservationMessage(await this.stock.release(id)) };
  }

  @GrpcMethod(SERVICE, 'CommitStock')
  async commitStock(request: unknown): Promise<CommitStockResponse> {
    const { orderId: id } = parseRequest(orderOnlyRequest, request);
    return { reservation: toReservationMessage(await this.stock.commit(id)) };
  }
}
