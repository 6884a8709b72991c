/** Placeholder proving the pipeline; replaced by the real loader. */
export const ping = (): string => 'pong';
