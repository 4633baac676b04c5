# Quotient's container image (not built by CI; deploy/deployment.yaml runs it).
#
#   docker build -t quotient:0.1.0 .
#
# Stage 1 builds the Release binary exactly as ./dev.sh build does (the same Debian
# bookworm packages, cmake + Ninja, warnings as errors, -march=x86-64-v3: the image runs
# on x86-64 CPUs with AVX2, every server CPU since 2015; build with
# --build-arg QUOTIENT_MARCH= for the compiler's default target). Stage 2 is bookworm-slim
# with only the shared libraries the binary links, found with ldd and dpkg, and runs as a
# non-root user with nothing writable (deploy/deployment.yaml: readOnlyRootFilesystem).
FROM debian:bookworm AS build
ARG QUOTIENT_MARCH=x86-64-v3
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates \
      libboost1.81-dev libssl-dev nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev \
      libspdlog-dev libfmt-dev libgtest-dev libgmock-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DQUOTIENT_BUILD_BENCHMARKS=OFF -DQUOTIENT_MARCH="${QUOTIENT_MARCH}" \
    && cmake --build /build --target quotient \
    && /build/extender/quotient version
# The Debian packages that own the libraries the binary links (libssl3, libyaml-cpp0.7, ...).
RUN ldd /build/extender/quotient | awk '/=> \// { print $3 }' \
      | xargs -r realpath | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u \
      | grep -v -E '^(libc6|libgcc-s1|libstdc\+\+6)$' >/build/runtime-packages.txt \
    && cat /build/runtime-packages.txt

FROM debian:bookworm-slim
COPY --from=build /build/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive xargs -a /tmp/runtime-packages.txt \
         apt-get install -y -qq --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /build/extender/quotient /usr/local/bin/quotient
COPY examples/ /usr/share/quotient/examples/
USER 65532:65532
EXPOSE 8888 9090
ENTRYPOINT ["/usr/local/bin/quotient"]
CMD ["serve", "--config", "/etc/quotient/quotient.yaml"]
