import { startE2eSystem } from './e2e-system';

/** What the mock upstream billed so far, as a provider's invoice would say. */
export interface InvoiceSummary {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  lastAuthorization: string | undefined;
}

/** A running Sluice as its users reach it: two URLs, an admin token, and an upstream to bill calls to. */
export interface BlackBoxTarget {
  /** What runs the system, for test titles. */
  name: string;
  gatewayUrl: string;
  adminUrl: string;
  adminToken: string;
  /** The mock upstream's base URL as the gateway reaches it (a provider's `baseUrl`). */
  upstreamUrl: string;
  invoice(): Promise<InvoiceSummary>;
  stop(): Promise<void>;
}

/**
 * The compose stack `npm run test:compose` brought up when it set SLUICE_E2E_GATEWAY_URL (and the
 * rest of SLUICE_E2E_*), else the system `npm start` runs, started here on free ports.
 */
export async function startBlackBoxTarget(): Promise<BlackBoxTarget> {
  if (process.env.SLUICE_E2E_GATEWAY_URL) return composeTarget();
  const e2e = await startE2eSystem();
  const { invoice } = e2e.upstream;
  return {
    name: 'npm start',
    gatewayUrl: e2e.system.gatewayUrl,
    adminUrl: e2e.system.adminUrl,
    adminToken: e2e.system.adminToken,
    upstreamUrl: e2e.upstream.url,
    invoice: async () => ({
      calls: invoice.calls,
      promptTokens: invoice.promptTokens,
      completionTokens: invoice.completionTokens,
      lastAuthorization: invoice.lastAuthorization,
    }),
    stop: () => e2e.stop(),
  };
}

function composeTarget(): BlackBoxTarget {
  const required = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: npm run test:compose sets every SLUICE_E2E_* variable`);
    return value;
  };
  const invoiceUrl = required('SLUICE_E2E_INVOICE_URL');
  return {
    name: 'docker compose',
    gatewayUrl: required('SLUICE_E2E_GATEWAY_URL'),
    adminUrl: required('SLUICE_E2E_ADMIN_URL'),
    adminToken: required('SLUICE_E2E_ADMIN_TOKEN'),
    upstreamUrl: required('SLUICE_E2E_UPSTREAM_URL'),
    async invoice() {
      const res = await fetch(invoiceUrl);
      if (!res.ok) throw new Error(`GET ${invoiceUrl}: ${res.status}`);
      return (await res.json()) as InvoiceSummary;
    },
    // The stack belongs to the runner, which takes it down.
    stop: async () => {},
  };
}
