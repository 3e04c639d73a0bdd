import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import type { AdminRequest } from '../shared/actor';

/**
 * Where clients reach the gateway, for the console's ready-made snippets: SLUICE_PUBLIC_GATEWAY_URL
 * when set (behind a load balancer), else the host the admin was reached on with the gateway's port.
 */
@Controller('admin/v1/gateway')
@UseGuards(AdminTokenGuard)
export class GatewayController {
  @Get()
  gateway(@Req() req: AdminRequest): { baseUrl: string } {
    const configured = process.env.SLUICE_PUBLIC_GATEWAY_URL;
    if (configured) return { baseUrl: configured.replace(/\/+$/, '') };
    const host = /^[A-Za-z0-9.-]+|^\[[0-9A-Fa-f:.]+\]/.exec(req.headers.host ?? '')?.[0] ?? 'localhost';
    return { baseUrl: `${req.protocol}://${host}:${process.env.SLUICE_GATEWAY_PORT ?? '8080'}/v1` };
  }
}
