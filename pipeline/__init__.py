"""newsflow: streaming news ingestion (Airflow → BeautifulSoup → Kafka → PostgreSQL)."""

__version__ = "0.1.0"
