export { run } from './main';
export { processIo, type Io } from './io';
export { computePlan, type LiveState } from './plan';
export { planKeys, MANAGED_BY, type KeyStep, type FieldChange } from './plan-keys';
export { planModels, planProviders } from './plan-catalog';
export { parseManifest, ManifestError, type Manifest } from './manifest';
export { renderPlan, type Plan } from './render';
