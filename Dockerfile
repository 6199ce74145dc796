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
