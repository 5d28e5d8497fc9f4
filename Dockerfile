# Build with the official Swift 6 image, run on a slim image with libpq.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Plugins ./Plugins
COPY Tests ./Tests
RUN swift build -c release --product canteen --static-swift-stdlib \
 && cp "$(swift build -c release --show-bin-path)/canteen" /canteen

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* && useradd --system --home-dir /app canteen
WORKDIR /app
COPY --from=build /canteen /usr/local/bin/canteen
COPY sql ./sql
COPY seeds ./seeds
ENV CANTEEN_HOME=/app CANTEEN_TZ=Asia/Shanghai
USER canteen
EXPOSE 8080
CMD ["canteen", "serve", "--host", "0.0.0.0", "--port", "8080", "--migrate"]
