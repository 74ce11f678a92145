//! The Kafka sink (any Kafka-protocol broker): each event a record of the topic keyed by its
//! aggregate id, so that one aggregate's events share a partition and stay in order; headers
//! carry the event id and type, the value is the webhook body. The partition is chosen here
//! (FNV-1a of the key modulo the topic's partitions), and a batch is produced partition by
//! partition in outbox order. The producer is not idempotent: consumers dedupe on the event id.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use clearway_app::events::streams::Sink;
use clearway_store::outbox::Event;
use rskafka::client::partition::{Compression, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder};
use rskafka::record::Record;
use rskafka::BackoffConfig;
use tokio::sync::Mutex;

/// The sink's name (pending rows, metrics label; lease `stream-kafka`).
pub use crate::state::{KafkaConfig, KAFKA_SINK as SINK};

/// Produces to the topic; connects on first use and again after any failure.
pub struct KafkaSink {
    config: KafkaConfig,
    partitions: Mutex<Option<Vec<PartitionClient>>>,
}

impl KafkaSink {
    /// A sink that connects when it first publishes.
    pub fn new(config: KafkaConfig) -> KafkaSink {
        KafkaSink {
            config,
            partitions: Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<Vec<PartitionClient>, String> {
        let c = &self.config;
        let client = ClientBuilder::new(c.brokers.clone())
            .backoff_config(backoff(c.timeout))
            .build()
            .await
            .map_err(|e| format!("connecting to Kafka at {}: {e}", c.brokers.join(",")))?;
        let ids = topic_partitions(&client, c).await?;
        let mut clients = Vec::with_capacity(ids.len());
        for id in ids {
            let pc = client
                .partition_client(c.topic.clone(), id, UnknownTopicHandling::Retry)
                .await
                .map_err(|e| format!("partition {id} of {}: {e}", c.topic))?;
            clients.push(pc);
        }
        Ok(clients)
    }
}

fn backoff(deadline: Duration) -> BackoffConfig {
    BackoffConfig {
        init_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(1),
        base: 2.0,
        deadline: Some(deadline),
    }
}

/// The topic's partition ids in order, creating the topic when it does not exist.
async fn topic_partitions(client: &Client, c: &KafkaConfig) -> Result<Vec<i32>, String> {
    let listed = |topics: Vec<rskafka::topic::Topic>| {
        topics
            .into_iter()
            .find(|t| t.name == c.topic)
            .map(|t| t.partitions.into_iter().collect::<Vec<i32>>())
            .filter(|p| !p.is_empty())
    };
    let topics = client.list_topics().await.map_err(|e| e.to_string())?;
    if let Some(p) = listed(topics) {
        return Ok(p);
    }
    let timeout_ms = i32::try_from(c.timeout.as_millis()).unwrap_or(i32::MAX);
    let controller = client.controller_client().map_err(|e| e.to_string())?;
    controller
        .create_topic(c.topic.clone(), c.partitions, 1, timeout_ms)
        .await
        .map_err(|e| format!("creating topic {}: {e}", c.topic))?;
    let topics = client.list_topics().await.map_err(|e| e.to_string())?;
    listed(topics).ok_or_else(|| format!("topic {} has no partitions", c.topic))
}

/// The partition index of a key among `count`: FNV-1a (64-bit) of its bytes modulo `count`,
/// stable across processes and versions.
pub fn partition_of(key: &str, count: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % count.max(1) as u64) as usize
}

fn record(e: &Event) -> Result<Record, String> {
    let headers = BTreeMap::from([
        ("Clearway-Event-Id".to_string(), e.id.clone().into_bytes()),
        (
            "Clearway-Event-Type".to_string(),
            e.event_type.clone().into_bytes(),
        ),
        (
            "Clearway-Aggregate-Type".to_string(),
            e.aggregate_type.clone().into_bytes(),
        ),
        ("Clearway-Seq".to_string(), e.seq.to_string().into_bytes()),
    ]);
    Ok(Record {
        key: Some(e.aggregate_id.clone().into_bytes()),
        value: Some(super::body(e)?),
        headers,
        timestamp: Utc::now(),
    })
}

async fn produce(clients: &[PartitionClient], events: &[Event]) -> Result<(), String> {
    let mut by_partition: Vec<Vec<Record>> = vec![Vec::new(); clients.len()];
    for e in events {
        by_partition[partition_of(&e.aggregate_id, clients.len())].push(record(e)?);
    }
    for (client, records) in clients.iter().zip(by_partition) {
        if records.is_empty() {
            continue;
        }
        client
            .produce(records, Compression::NoCompression)
            .await
            .map_err(|e| format!("producing to partition {}: {e}", client.partition()))?;
    }
    Ok(())
}

impl Sink for KafkaSink {
    fn name(&self) -> &'static str {
        SINK
    }

    async fn publish(&self, events: &[Event]) -> Result<(), String> {
        let mut partitions = self.partitions.lock().await;
        if partitions.is_none() {
            *partitions = Some(self.connect().await?);
        }
        let clients = partitions.as_deref().unwrap_or_default();
        let result = produce(clients, events).await;
        if result.is_err() {
            *partitions = None;
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_always_maps_to_the_same_partition() {
        assert_eq!(partition_of("dist_1", 3), partition_of("dist_1", 3));
        assert!((0..1000).all(|i| partition_of(&format!("k{i}"), 3) < 3));
        // Known FNV-1a value: "a" hashes to 0xaf63dc4c8601ec8c.
        assert_eq!(
            partition_of("a", 1000),
            (0xaf63dc4c8601ec8c_u64 % 1000) as usize
        );
        assert_eq!(partition_of("any", 0), 0);
    }
}
