# The newsflow image: Airflow 3 with the pipeline package and its pinned dependencies.
# Used by docker-compose.yml for the Airflow and enricher services.
FROM python:3.11-slim-bookworm

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 AIRFLOW_HOME=/opt/airflow
RUN useradd --create-home --uid 50000 newsflow && mkdir -p /opt/airflow && chown newsflow /opt/airflow
WORKDIR /opt/newsflow

COPY requirements.lock pyproject.toml README.md ./
# Bytecode compiled at install (pip does it by default, uv does not): the image runs as a user
# who cannot write __pycache__ here, so every enricher and Airflow task process would compile
# what it imports from source (spaCy alone: about 1.3 s of CPU per process).
RUN pip install --no-cache-dir uv==0.13.8 \
 && uv pip install --system --no-cache --compile-bytecode -r requirements.lock
COPY pipeline ./pipeline
COPY dags ./dags
RUN uv pip install --system --no-cache --compile-bytecode --no-deps .

USER newsflow
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/newsflow/dags AIRFLOW__CORE__LOAD_EXAMPLES=False
CMD ["newsflow", "--help"]
