# One image for every hub process; docker-compose.yml picks the process by its command.
FROM python:3.11-slim
WORKDIR /hub
COPY pyproject.toml constraints.txt ./
COPY hub ./hub
COPY adapters ./adapters
COPY schemas ./schemas
COPY topics.yaml ./
RUN pip install --no-cache-dir -c constraints.txt -e . \
    && useradd --system --home /hub hub && mkdir -p /hub/.data && chown hub /hub/.data
USER hub
ENTRYPOINT ["hub"]
