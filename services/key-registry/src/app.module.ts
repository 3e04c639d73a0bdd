import { Module } from '@nestjs/common';
import { READINESS } from '@sluice/service';
import { KeyRegistryRuntime } from './key-registry.runtime';

@Module({
  providers: [KeyRegistryRuntime, { provide: READINESS, useExisting: KeyRegistryRuntime }],
})
export class KeyRegistryModule {}
