import { meterOf } from '@sluice/telemetry';

const meter = meterOf('metering');
const records = meter.createCounter('sluice.metering.records', {
  description:
    'Calls metering handled (each of a batch message): recorded (a new usage row) or duplicate (recorded before).',
});
const deadLetters = meter.createCounter('sluice.metering.dead_letters', {
  description: 'Calls (or whole messages) metering could never record, kept on SLUICE_DEAD_LETTERS.',
});
const RECORDED = { outcome: 'recorded' };
const DUPLICATE = { outcome: 'duplicate' };
// Every series exists from the first scrape, so dashboards and alerts see a 0, not nothing.
records.add(0, RECORDED);
records.add(0, DUPLICATE);
deadLetters.add(0);

/** A batch committed: `recorded` new rows of `handled` calls (the rest were redeliveries). */
export function countRecorded(recorded: number, handled: number): void {
  if (recorded > 0) records.add(recorded, RECORDED);
  if (handled > recorded) records.add(handled - recorded, DUPLICATE);
}

export function countDeadLetter(): void {
  deadLetters.add(1);
}
