#!/usr/bin/env bash
# A Kafka node for docker-compose, secured as `hub kafka start` secures its own (hub/devtools/kafka/broker_security.py):
# SASL/SCRAM-SHA-512 for clients, SASL/PLAIN for the controller, the StandardAuthorizer with nothing
# allowed that no ACL allows, `admin` the only super user. The `kafka-security` service then sets every
# principal's password and the ACLs generated from topics.yaml (`hub kafka acls --apply`).
#
# Each node is a combined broker+controller, as `hub kafka start --brokers 3` lays them out
# (hub/devtools/kafka/quorum.py): HUB_KAFKA_NODE_ID its id, HUB_KAFKA_HOST the name the others and the clients
# reach it by, HUB_KAFKA_VOTERS the static quorum (`1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093`),
# HUB_KAFKA_CLUSTER_ID the id every node is formatted with. With 3 voters or more, internal topics get
# 3 replicas and min.insync.replicas 2; fewer voters, what they can give.
# The admin's password comes from $HUB_KAFKA_PASSWORD_ADMIN (no `,` `]` or `"` in it).
set -euo pipefail
: "${HUB_KAFKA_PASSWORD_ADMIN:?set HUB_KAFKA_PASSWORD_ADMIN (see README, Docker)}"
: "${HUB_KAFKA_CLUSTER_ID:?set HUB_KAFKA_CLUSTER_ID (one id for every node of the cluster)}"
pw=$HUB_KAFKA_PASSWORD_ADMIN
node=${HUB_KAFKA_NODE_ID:-1}
host=${HUB_KAFKA_HOST:-kafka}
port=${HUB_KAFKA_PORT:-9092}
controller_port=${HUB_KAFKA_CONTROLLER_PORT:-9093}
voters=${HUB_KAFKA_VOTERS:-$node@$host:$controller_port}
kafka=${KAFKA_HOME:-/opt/kafka}
data=${HUB_KAFKA_DATA:-/var/lib/kafka/data}
conf_dir=${HUB_KAFKA_CONF_DIR:-/tmp}
conf=$conf_dir/server.properties
IFS=, read -ra seats <<< "$voters"
replicas=$(( ${#seats[@]} < 3 ? ${#seats[@]} : 3 ))
min_insync=$(( replicas < 2 ? replicas : 2 ))
umask 077
cat > "$conf" <<PROPS
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
log.dirs=$data
listeners=BROKER://:$port,CONTROLLER://:$controller_port
advertised.listeners=BROKER://$host:$port
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
offsets.topic.replication.factor=$replicas
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$min_insync
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$min_insync
default.replication.factor=$replicas
min.insync.replicas=$min_insync
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
# What the healthcheck connects with.
cat > "$conf_dir/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$pw";
PROPS
if [ ! -f "$data/meta.properties" ]; then
  "$kafka/bin/kafka-storage.sh" format -t "$HUB_KAFKA_CLUSTER_ID" -c "$conf" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$pw]"
fi
exec "$kafka/bin/kafka-server-start.sh" "$conf"
