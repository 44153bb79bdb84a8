# syntax=docker/dockerfile:1
# ReferLoop: one image for the API, the worker and the one-shot migrate step (see docker-compose.yml).
# Without DATABASE_URL the API runs in embedded mode (private PostgreSQL under DATA_DIR, worker in-process).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- deps: every dependency, for the build ---------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- build: compile apps/api and apps/worker into dist/ ----------------------------------------
FROM deps AS build
COPY nest-cli.json tsconfig.base.json tsconfig.json ./
COPY libs ./libs
COPY apps ./apps
RUN npm run build

# --- runtime: production dependencies and dist/ only, as the unprivileged `node` user ---------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# The heap limit: under load V8 let old space fill with garbage to ~200 MiB before collecting (the
# live set is ~60–70 MiB); with a limit it collects sooner. bench:referrals: API peak RSS 312 → 172 MiB.
# The benches start the API and the worker with this same value (bench/lib/deployment.js reads it here).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=192 \
    SCARF_ANALYTICS=false \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
 && mkdir -p /data && chown node:node /data
COPY --from=build /app/dist ./dist
USER node
VOLUME ["/data"]
EXPOSE 3000
# No curl in the slim image: Node 20's fetch does the probe.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "dist/apps/api/apps/api/src/main.js"]
