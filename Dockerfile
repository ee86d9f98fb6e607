# Switchboard as a container: built in one stage, run from a small image with no shell.
#   docker build -t switchboard .
#   docker run -p 8080:8080 --ulimit nofile=65536:65536 -e TWILIO_AUTH_TOKEN_FILE=/run/secrets/twilio_auth_token \
#     -v /path/to/token:/run/secrets/twilio_auth_token:ro -v switchboard-state:/var/lib/switchboard \
#     switchboard serve --public-url https://ivr.example.org
# The shipped call flows are in /etc/switchboard/call-flows; mount your own over them.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && install -D target/release/switchboard /out/switchboard \
    && mkdir -p /out/state

# Distroless: glibc, CA certificates and a non-root user (65532), nothing else.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/switchboard /usr/local/bin/switchboard
COPY call-flows /etc/switchboard/call-flows
# The emergency switch and the bank-holiday cache; a named volume takes this ownership.
COPY --from=build --chown=65532:65532 /out/state /var/lib/switchboard
ENV SWITCHBOARD_FLOWS=/etc/switchboard/call-flows \
    SWITCHBOARD_STATE_DIR=/var/lib/switchboard \
    SWITCHBOARD_LISTEN=0.0.0.0:8080
VOLUME ["/var/lib/switchboard"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/switchboard", "healthcheck", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/switchboard"]
CMD ["serve"]
