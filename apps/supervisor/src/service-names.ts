export const SERVICE_NAMES = ['key-registry', 'policy', 'metering', 'admin-api', 'gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
