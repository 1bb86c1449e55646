-- Airflow keeps its metadata in a database of its own on the same server.
CREATE DATABASE airflow OWNER newsflow;
