# pgbridge gateway image. Mount a config file (see config.example.toml) and its keys at /etc/pgbridge.
FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /var/lib/pgbridge pgbridge
WORKDIR /opt/pgbridge
COPY pyproject.toml README.md ./
COPY pgbridge ./pgbridge
RUN pip install --no-cache-dir '.[fast,gcs]'
USER pgbridge
WORKDIR /var/lib/pgbridge
EXPOSE 5433
ENTRYPOINT ["pgbridge"]
CMD ["serve", "--config", "/etc/pgbridge/pgbridge.toml"]
