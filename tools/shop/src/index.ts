export {
  launchShop,
  proportionalSetBytes,
  residentSetBytes,
  type LaunchOptions,
  type ProcessMemory,
  type RunningShop,
  type ShopEvent,
  type ShopInstance,
} from './launch-shop.js';
export {
  DATABASE_SERVICES,
  SHOP_SERVICES,
  serviceNodeOptions,
  type DatabaseService,
  type ShopService,
} from './services.js';
export { describeExit, type ProcessExit } from './service-process.js';
