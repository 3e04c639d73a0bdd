import type { UsageMessage } from '@sluice/contracts';

const serialised = new WeakMap<UsageMessage, string>();

/**
 * A call's usage message as JSON, serialised once for its spool record, its early settlement and its
 * batch (three `JSON.stringify` of ~30 fields a call before). A usage message is never changed once
 * built; a changed copy (`recovered`) is a new object.
 */
export function usageJson(usage: UsageMessage): string {
  let json = serialised.get(usage);
  if (json === undefined) {
    json = JSON.stringify(usage);
    serialised.set(usage, json);
  }
  return json;
}
