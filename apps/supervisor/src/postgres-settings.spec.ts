import { postgresSettings } from './postgres-settings';

describe("the embedded Postgres' settings under npm start", () => {
  it('are sized for one machine, and SLUICE_POSTGRES_SETTINGS changes or adds any of them', () => {
    expect(postgresSettings({})).toEqual({ shared_buffers: '32MB' });
    expect(postgresSettings({ SLUICE_POSTGRES_SETTINGS: ' shared_buffers=256MB  work_mem=16MB ' })).toEqual({
      shared_buffers: '256MB',
      work_mem: '16MB',
    });
  });

  it('refuses what is not name=value, rather than start a server configured otherwise than asked', () => {
    expect(() => postgresSettings({ SLUICE_POSTGRES_SETTINGS: 'shared_buffers = 64MB' })).toThrow(
      'SLUICE_POSTGRES_SETTINGS: "shared_buffers" is not name=value',
    );
    expect(() => postgresSettings({ SLUICE_POSTGRES_SETTINGS: '-c=x' })).toThrow('is not name=value');
  });
});
