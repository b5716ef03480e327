//! Publishing checkpoints: every few seconds the guard runs (so a database changed
//! under a running instance is noticed within a round, not at its next start), a log
//! that grew gets a new checkpoint, and the witnesses that have not cosigned the newest
//! are asked again, so witnesses follow the log even when nobody reads it.

use std::sync::Arc;

use crate::db::Database;
use crate::error::Result;
use crate::usecases::checkpoints::Publisher;

/// The publishing job.
pub struct PublishCheckpoints {
    pub db: Arc<Database>,
    pub publisher: Arc<Publisher>,
}

impl super::Job for PublishCheckpoints {
    const NAME: &'static str = "publish-checkpoints";

    async fn run_once(&self) -> Result<super::Report> {
        let before = self.db.refusal().is_some();
        if !before {
            let publisher = self.publisher.clone();
            match self
                .db
                .run(move |conn| publisher.check_locked(conn, false))
                .await
            {
                Err(crate::error::Error::LogRefused(why)) => self.db.refuse_writes(&why),
                Err(e) => return Err(e),
                Ok(_) => {}
            }
        }
        let published = self.publisher.publish(&self.db).await?;
        let cosigned = self.publisher.witness(&self.db).await;
        if !before && let Some(why) = self.db.refusal() {
            tracing::error!(why = %why, "writes are refused from now on");
        }
        Ok(super::Report::default()
            .count(
                "size",
                if cosigned > 0 {
                    published.checkpoint.size as usize
                } else {
                    0
                },
            )
            .count("cosigned", cosigned))
    }
}
