#!/usr/bin/env bash
# Kafka for docker-compose, secured as `hub kafka start` secures its broker (hub/kafka/broker_security.py):
# SASL/SCRAM-SHA-512 for clients, SASL/PLAIN for the controller, the StandardAuthorizer with nothing
# allowed that no ACL allows, `admin` the only super user. The `topics` service then sets every
# principal's password and the ACLs generated from topics.yaml (`hub kafka acls --apply`).
# The admin's password comes from $HUB_KAFKA_PASSWORD_ADMIN (no `,` `]` or `"` in it).
set -euo pipefail
: "${HUB_KAFKA_PASSWORD_ADMIN:?set HUB_KAFKA_PASSWORD_ADMIN (see README, Docker)}"
pw=$HUB_KAFKA_PASSWORD_ADMIN
data=/var/lib/kafka/data
conf=/tmp/server.properties
umask 077
cat > "$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
controller.listener.names=CONTROLLER
log.dirs=$data
listeners=BROKER://:9092,CONTROLLER://:9093
advertised.listeners=BROKER://kafka:9092
inter.broker.listener.name=BROKER
listener.security.protocol.map=BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$pw";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$pw" user_admin="$pw";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
# What the healthcheck connects with.
cat > /tmp/admin.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$pw";
PROPS
if [ ! -f "$data/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c "$conf" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$pw]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$conf"
