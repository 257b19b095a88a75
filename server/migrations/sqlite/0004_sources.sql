-- Webhook deliveries are deduplicated by (source, delivery id): a redelivery changes nothing.
CREATE INDEX raw_deliveries_source_delivery ON raw_deliveries (source, delivery_id);
