import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { GRPC_SERVICES, loadPackageDefinition, type PROTO_FILES } from '@mercato/contracts';
import {
  addGrpcHealthService,
  closeGrpcServer,
  createHealth,
  createHealthRouter,
  createShutdownCoordinator,
  startMemoryReducer,
  type Health,
  type ShutdownCoordinator,
} from '@mercato/health';
import { disableNagleOnAccept } from '@mercato/grpc';
import { createLogger, type Logger } from '@mercato/logger';
import {
  createMetrics,
  exportFailureCounter,
  grpcServerMetricsInterceptor,
  memoryReductionCounter,
  metricsHandler,
} from '@mercato/metrics';
import { grpcServerTracingInterceptor } from '@mercato/tracing';
import { startServiceTracing } from '@mercato/tracing/service';
import type { Registry } from 'prom-client';
import { freePort } from './free-port.js';
import { GrpcContextInterceptor } from './grpc-context.interceptor.js';
import { GrpcExceptionFilter } from './grpc-exception.filter.js';
import { NestPinoLogger } from './nest-logger.js';
import { reflectionPackageDefinition } from './reflection.js';
import { HEALTH, LOGGER, METRICS, SERVICE_CONFIG } from './service-kit.constants.js';

/** The settings every gRPC service reads (a subset of its validated configuration). */
export interface GrpcServiceSettings {
  LOG_LEVEL: string;
  LOG_PRETTY: boolean;
  HOST: string;
  HTTP_PORT: number;
  GRPC_PORT: number;
  GRPC_MAX_MESSAGE_BYTES: number;
  SHUTDOWN_DRAIN_DELAY: number;
  SHUTDOWN_TIMEOUT: number;
  /** OTLP/HTTP receiver for spans; unset: none are recorded. */
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  /** Share of new traces recorded. */
  OTEL_TRACES_SAMPLER_ARG: number;
  /** Replaces the definition's name in logs and metrics (e.g. to tell two deployments apart). */
  SERVICE_NAME?: string;
}

/** What startGrpcService needs to know about a service. */
export interface GrpcServiceDefinition<Config extends GrpcServiceSettings> {
  /** Service name in logs and metrics, e.g. `product-service`; the SERVICE_NAME setting overrides it. */
  name: string;
  /** The gRPC API it serves (a key of the contracts' PROTO_FILES). */
  api: keyof typeof PROTO_FILES;
  /** The service's root module: its features, database and messaging. */
  module: Type<unknown> | DynamicModule;
  config: Config;
  /** Install SIGTERM/SIGINT handlers that shut down and exit (main.ts); tests leave it off. */
  handleSignals?: boolean;
  /** Replaces the JSON logger (tests pass a silent or captured one). */
  logger?: Logger;
}

/** A started service: its addresses and the parts tests and main.ts need. */
export interface RunningGrpcService {
  app: INestApplication;
  grpcAddress: string;
  httpAddress: string;
  logger: Logger;
  health: Health;
  metrics: Registry;
  shutdown: ShutdownCoordinator;
  /** Graceful stop without exiting the process: drain, stop servers, close resources. */
  close(): Promise<void>;
}

@Module({})
class ServiceKitModule {
  static forRoot(values: {
    logger: Logger;
    health: Health;
    metrics: Registry;
    config: unknown;
  }): DynamicModule {
    return {
      module: ServiceKitModule,
      global: true,
      providers: [
        { provide: LOGGER, useValue: values.logger },
        { provide: HEALTH, useValue: values.health },
        { provide: METRICS, useValue: values.metrics },
        { provide: SERVICE_CONFIG, useValue: values.config },
      ],
      exports: [LOGGER, HEALTH, METRICS, SERVICE_CONFIG],
    };
  }
}

@Module({})
class RootModule {}

/**
 * Starts a NestJS gRPC service the Mercato way: JSON logs, gRPC with health checking, server
 * reflection, metrics and correlation; an HTTP port with /health/* and /metrics; a shutdown
 * coordinator that drains before it stops. Port 0 picks free ports (tests).
 */
export async function startGrpcService<Config extends GrpcServiceSettings>(
  definition: GrpcServiceDefinition<Config>,
): Promise<RunningGrpcService> {
  const { config } = definition;
  const name = config.SERVICE_NAME ?? definition.name;
  const logger =
    definition.logger ??
    createLogger({ service: name, level: config.LOG_LEVEL as never, pretty: config.LOG_PRETTY });
  const health = createHealth();
  const metrics = createMetrics({ service: name });
  const tracing = await startServiceTracing({
    service: name,
    config,
    logger,
    onExportError: exportFailureCounter(metrics),
  });
  let exitCode: number | undefined;
  const shutdown = createShutdownCoordinator({
    health,
    drainDelayMs: config.SHUTDOWN_DRAIN_DELAY,
    timeoutMs: config.SHUTDOWN_TIMEOUT,
    logger,
    exit: definition.handleSignals
      ? (code) => process.exit(code)
      : (code) => void (exitCode = code),
  });

  const app = await NestFactory.create(
    {
      module: RootModule,
      imports: [ServiceKitModule.forRoot({ logger, health, metrics, config }), definition.module],
    },
    { logger: new NestPinoLogger(logger), abortOnError: false },
  );
  // Registered first, so it runs last: the spans of the work finished while draining are sent too.
  shutdown.register('tracing', () => tracing.shutdown());
  shutdown.register('application', () => app.close());

  let grpcPort: number;
  let httpPort: number;
  try {
    ({ grpcPort, httpPort } = await serveGrpcAndHttp(app, definition.api, {
      config,
      logger,
      health,
      metrics,
      shutdown,
    }));
  } catch (error) {
    // A port in use or a failing start hook must not leave the database, the gRPC server or
    // Kafka clients of the modules that did start behind: close them, then report the failure.
    logger.error({ err: error }, 'start-up failed; closing what had started');
    await app
      .close()
      .catch((closeError: unknown) =>
        logger.error({ err: closeError }, 'closing after a failed start-up failed'),
      );
    throw error;
  }
  if (definition.handleSignals) shutdown.installSignalHandlers();
  health.markStarted();
  // Start-up's peak (modules compiled, migrations run) is given back once the service is quiet.
  const memoryReducer = startMemoryReducer({
    logger,
    onReduced: memoryReductionCounter(metrics),
  });
  shutdown.register('memory reducer', () => memoryReducer.stop());

  const grpcAddress = `${config.HOST}:${grpcPort}`;
  const httpAddress = `http://${config.HOST}:${httpPort}`;
  logger.info({ grpc: grpcAddress, http: httpAddress }, `${name} started`);
  return {
    app,
    grpcAddress,
    httpAddress,
    logger,
    health,
    metrics,
    shutdown,
    async close() {
      const code = await shutdown.shutdown('closed by caller');
      if ((exitCode ?? code) !== 0)
        throw new Error(`${name} did not shut down cleanly (exit code ${exitCode ?? code})`);
    },
  };
}

/** Connects the gRPC server (with health, reflection, metrics) and the HTTP probes, and starts both. */
async function serveGrpcAndHttp(
  app: INestApplication,
  api: keyof typeof PROTO_FILES,
  parts: {
    config: GrpcServiceSettings;
    logger: Logger;
    health: Health;
    metrics: Registry;
    shutdown: ShutdownCoordinator;
  },
): Promise<{ grpcPort: number; httpPort: number }> {
  const { config, logger, health, metrics, shutdown } = parts;
  const serviceName = GRPC_SERVICES[api];
  const packageDefinition = loadPackageDefinition([api]);
  const grpcPort = config.GRPC_PORT || (await freePort(config.HOST));
  let grpcServer: GrpcServer | undefined;
  // Before connectMicroservice: it registers the gRPC handlers at once, with the globals of the
  // (inherited) application config as they are at that moment.
  app.useGlobalFilters(new GrpcExceptionFilter(logger));
  app.useGlobalInterceptors(new GrpcContextInterceptor());
  app.connectMicroservice<GrpcOptions>(
    {
      transport: Transport.GRPC,
      options: {
        package: serviceName.slice(0, serviceName.lastIndexOf('.')),
        packageDefinition,
        url: `${config.HOST}:${grpcPort}`,
        gracefulShutdown: true,
        maxReceiveMessageLength: config.GRPC_MAX_MESSAGE_BYTES,
        channelOptions: {
          // Tracing first: it puts the server span's context in the metadata the rest read.
          interceptors: [grpcServerTracingInterceptor(), grpcServerMetricsInterceptor(metrics)],
        },
        onLoadPackageDefinition: (_definition: unknown, server: GrpcServer) => {
          grpcServer = server;
          disableNagleOnAccept(server);
          new ReflectionService(reflectionPackageDefinition(api)).addToServer(server);
          addGrpcHealthService(server, health, [serviceName]);
        },
      },
    },
    { inheritAppConfig: true },
  );
  app.use(createHealthRouter(health));
  app.use('/metrics', metricsHandler(metrics));

  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, config.HOST);
  const httpPort = (app.getHttpServer() as { address(): AddressInfo }).address().port;
  shutdown.register('grpc server', () =>
    grpcServer
      ? closeGrpcServer(grpcServer, { forceAfterMs: config.SHUTDOWN_TIMEOUT / 2 })
      : undefined,
  );
  return { grpcPort, httpPort };
}
