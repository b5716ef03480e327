//! `operator add|remove|list`: the people who may sign in to the console. Run where
//! the registry's settings are; each change is audited as the command line's.

use clap::Subcommand;

use crate::config::Config;
use crate::db;
use crate::usecases::accounts::operators::{self, Added};

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Let the person with this address sign in to the console (/operator) by email.
    Add {
        email: String,
        /// Their name, as the console greets them (default: the address).
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Stop this person signing in; their sessions end at once.
    Remove { email: String },
    /// Every operator, and whether they may sign in.
    List,
}

/// The command line's name in the audit log.
const ACTOR: &str = "admin:command-line";

pub fn run(config: &Config, command: OperatorCommand) -> anyhow::Result<()> {
    let pool = db::connect(&config.database_url, 1)?;
    let mut conn = pool.get()?;
    db::with_setup_lock(&mut conn, db::migrate)?;
    let at = crate::db::models::now();
    let refused = |e: crate::error::Error| anyhow::anyhow!("{e}");
    match command {
        OperatorCommand::Add { email, name } => {
            let (row, added) = diesel::Connection::transaction(&mut *conn, |c| {
                operators::add(c, ACTOR, &email, &name, at)
            })
            .map_err(refused)?;
            let said = match added {
                Added::New => "is now an operator",
                Added::Restored => "is an operator again",
                Added::Already => "was an operator already",
            };
            println!(
                "{} {said}: they sign in at {}/operator with a link sent to that address",
                row.email, config.public_url
            );
        }
        OperatorCommand::Remove { email } => {
            let (row, ended) = diesel::Connection::transaction(&mut *conn, |c| {
                operators::remove(c, ACTOR, &email, at)
            })
            .map_err(refused)?;
            println!(
                "{} is no longer an operator; {ended} session(s) ended",
                row.email
            );
        }
        OperatorCommand::List => {
            let all = crate::db::models::operators::all(&mut conn)?;
            if all.is_empty() {
                println!("no operators yet: add one with `pledge-registry operator add <email>`");
            }
            for op in all {
                match op.removed_at {
                    None => println!("{}\t{}\tsince {}", op.email, op.name, op.added_at.date()),
                    Some(at) => println!("{}\t{}\tremoved {}", op.email, op.name, at.date()),
                }
            }
        }
    }
    Ok(())
}
