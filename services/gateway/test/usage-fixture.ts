// Moved to @sluice/testing, shared by every service's tests and the e2e tests.
export { usageFixture } from '@sluice/testing';
