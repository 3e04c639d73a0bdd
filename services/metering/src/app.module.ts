import { Module } from '@nestjs/common';
import { READINESS } from '@sluice/service';
import { MeteringRuntime } from './metering.runtime';

@Module({
  providers: [MeteringRuntime, { provide: READINESS, useExisting: MeteringRuntime }],
})
export class MeteringModule {}
