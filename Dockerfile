# tally in a container: a static binary (no cgo; the embedded store is pure
# Go) on a distroless base, running as an unprivileged user.
#
#   docker build -t tally .
#   docker run -p 8000:8000 -v tally-data:/var/lib/tally tally
#
# With ClickHouse, set TALLY_CLICKHOUSE_URL (see docker-compose.yml).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# timetzdata embeds the time-zone database, so site time zones work on any base.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/tally ./cmd/tally \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tally /usr/local/bin/tally
# The embedded store (or, with ClickHouse, local caches only) lives here.
COPY --from=build --chown=65532:65532 /out/data /var/lib/tally
ENV TALLY_DATA=/var/lib/tally
VOLUME /var/lib/tally
USER 65532:65532
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/tally"]
CMD ["serve", "--listen", "0.0.0.0:8000"]
