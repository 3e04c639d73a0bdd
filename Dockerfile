# One image for every Sluice service; the compose file picks the entry point per container.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs ./libs
COPY services ./services
COPY scripts ./scripts
COPY .swcrc tsconfig.base.json tsconfig.json ./
RUN npm ci --no-audit --no-fund && node scripts/build.mjs && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production SLUICE_DATA_DIR=/var/lib/sluice
COPY --from=build /app /app
# The gateway's usage spool lives here (a folder it creates 0700); a new named volume mounted here
# takes this directory's owner, so the unprivileged user can write it.
RUN mkdir -p /var/lib/sluice && chown node:node /var/lib/sluice
USER node
CMD ["node", "services/gateway/dist/main.js"]
