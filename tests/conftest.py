from tests.kafka_fixture import kafka_broker  # noqa: F401
