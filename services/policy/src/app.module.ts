import { Module } from '@nestjs/common';
import { READINESS } from '@sluice/service';
import { PolicyRuntime } from './policy.runtime';

@Module({
  providers: [PolicyRuntime, { provide: READINESS, useExisting: PolicyRuntime }],
})
export class PolicyModule {}
