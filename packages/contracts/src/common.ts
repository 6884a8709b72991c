/** Generated shared message types of mercato.common.v1 (Money). */
export * from './gen/mercato/common/v1/money.js';
