# coldbench as a container: `docker build -t coldbench .`, then `docker run coldbench run …`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json

# The demo's reference app alone (deploy/reference-app/): `docker build --target reference-app -t reference-app .`
# One process is one instance: its x-instance-id is new at every start, so a cold start shows.
FROM node:20-bookworm-slim AS reference-app
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 COLDBENCH_STARTUP_MS=2000
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
USER node
EXPOSE 8080
CMD ["node", "dist/src/platforms/reference-app.js"]

# coldbench (the default target).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY bin ./bin
COPY scenarios ./scenarios
COPY schema ./schema
# The run directories go here; mount a volume on it.
RUN mkdir /reports && chown node:node /reports
USER node
ENTRYPOINT ["node", "bin/coldbench.js"]
CMD ["--help"]
