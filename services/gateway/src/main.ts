import { loadGatewayConfig, startGateway } from './server.js';

await startGateway(loadGatewayConfig(), { handleSignals: true });
