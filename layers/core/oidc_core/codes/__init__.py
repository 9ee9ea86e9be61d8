"""One-time codes by email and SMS: channels, generation, texts, delivery (SES v2, SNS) and the send limits."""
