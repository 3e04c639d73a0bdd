export { classifyAddress, embeddedIpv4, type AddressKind } from './address-kind';
export { parseIp, parseCidr } from './ip';
export { UpstreamAllowList, type AddressVerdict } from './upstream-allow-list';
export { checkUpstreamUrl, systemResolver, type ResolveHost, type UpstreamUrlCheck } from './upstream-url';
export {
  guardedLookup,
  checkAddressLiteral,
  UpstreamNotAllowedError,
  type BaseLookup,
  type ConnectLookup,
} from './guarded-lookup';
export { guardedConnector } from './guarded-connector';
