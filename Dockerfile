# syntax=docker/dockerfile:1
# The Anvil server image: the ASP.NET runtime, the server, and the Python runtime with the Debian
# packages its addon host needs. Port 5000, AYON_* environment, runs as the non-root user `app`.
#
#   docker build -t anvil .                          # from source, on Microsoft's official images
#   ./anvil image                                    # without a registry: a local base, the server
#                                                    # published on this machine (deploy/image)
#
# Build arguments: SDK_IMAGE and BASE_IMAGE (an ASP.NET 10 runtime image with apt; the official
# Ubuntu-based one by default, or a Debian one such as deploy/base-image makes).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG BASE_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

# --- the server, built from source --------------------------------------------------------------
FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/Anvil.Server/Anvil.Server.csproj src/Anvil.Server/
RUN dotnet restore src/Anvil.Server/Anvil.Server.csproj
COPY src/ src/
COPY addon-host/ addon-host/
RUN dotnet publish src/Anvil.Server/Anvil.Server.csproj -c Release --no-restore -p:UseAppHost=false -o /out

# --- the runtime: what every variant below shares -----------------------------------------------
FROM ${BASE_IMAGE} AS runtime
# The addon host runs on the distribution's Python and its packages (docs/addons.md), never pip.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-pydantic python3-semver python3-httpx python3-aiofiles python3-unidecode python3-yaml \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/anvil/addons \
 && chown -R 1654:1654 /var/lib/anvil
ENV AYON_HTTP_LISTEN_ADDRESS=0.0.0.0 \
    AYON_HTTP_LISTEN_PORT=5000 \
    AYON_POSTGRES_URL=postgres://ayon:ayon@postgres:5432/ayon \
    AYON_REDIS_URL=redis://redis:6379/ \
    AYON_ADDONS_DIR=/var/lib/anvil/addons \
    AYON_ADDON_HOST_PYTHON=/usr/bin/python3 \
    ASPNETCORE_HTTP_PORTS= \
    DOTNET_gcServer=0 \
    DOTNET_GCgen0size=0x4000000 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
EXPOSE 5000
USER 1654:1654
# Ready (PostgreSQL up, migrations applied; Redis away still counts, as "degraded").
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/ready' % os.environ.get('AYON_HTTP_LISTEN_PORT', '5000'), timeout=2)"]
ENTRYPOINT ["dotnet", "/app/Anvil.Server.dll"]
# Migrations and users at every start, as AYON's container does; `setup` alone is the one-shot job.
CMD ["serve", "--setup"]

# --- the server published beforehand on the build machine (./anvil image: no SDK image needed) ---
FROM runtime AS prebuilt
COPY .anvil/publish/ /app/

# --- the default: built from source ---------------------------------------------------------------
FROM runtime AS image
COPY --from=build /out/ /app/
