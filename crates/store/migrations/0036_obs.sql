-- Observability (issue 21): the W3C trace context (`traceparent`) of the request or job that
-- wrote a job or an outbox event, so that the worker running the job and the relay delivering
-- the event continue the same trace. NULL when tracing is off or nothing was traced.
ALTER TABLE jobs ADD COLUMN traceparent TEXT;
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
