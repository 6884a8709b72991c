import { loadPaymentConfig, startPaymentService } from './app.js';

await startPaymentService(loadPaymentConfig(), { handleSignals: true });
