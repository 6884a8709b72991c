import { Kafka, logLevel } from 'kafkajs';

/**
 * True when a Kafka cluster answers a metadata request (describeCluster) at `brokers`; each network
 * step is bounded by `timeoutMs`. Silent: a broker that is not up yet is an expected answer, not an
 * error to log.
 */
export async function isKafkaReachable(
  brokers: readonly string[],
  timeoutMs = 3_000,
): Promise<boolean> {
  if (brokers.length === 0) return false;
  const admin = new Kafka({
    clientId: 'mercato-harness-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    enforceRequestTimeout: true,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
