import { loadProductConfig, startProductService } from './app.js';

await startProductService(loadProductConfig(), { handleSignals: true });
