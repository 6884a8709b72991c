import { loadOrderConfig, startOrderService } from './app.js';

await startOrderService(loadOrderConfig(), { handleSignals: true });
