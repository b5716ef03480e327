//! What the registry writes to people, in words a small company's office manager
//! understands. Each letter is plain text and HTML of the same paragraphs.
//!
//! Links are written as paths after [`SITE`]; the mailer puts the registry's address
//! there when it sends, so what is stored does not depend on where the registry runs.

use chrono::{DateTime, NaiveDate, Utc};

/// Stands for the registry's public address in a stored letter.
pub const SITE: &str = "{{site}}";

/// Stands for the line that tells the reader a reply reaches the operator, in a letter
/// that invites one; the mailer writes it only where `REGISTRY_OPERATOR_EMAIL` is set
/// (it is then the message's Reply-To), and nothing otherwise.
pub const REPLY: &str = "{{reply}}";

/// The kinds of reminder, each stopped on its own: (kind, what it reminds of).
pub const REMINDERS: [(&str, &str); 3] = [
    ("reaffirm_reminder", "reminders to reaffirm the pledge"),
    (
        "certification_expiring",
        "reminders that a certification on your record expires",
    ),
    (
        "new_pledge_version",
        "news of a new version of the pledge to sign",
    ),
];

/// The kinds of reminder, without their words.
pub fn reminder_kinds() -> [&'static str; 3] {
    REMINDERS.map(|(kind, _)| kind)
}

/// The line [`REPLY`] stands for.
pub const REPLY_LINE: &str =
    "Questions about this? Reply to this email: it reaches the registry's operator.";

/// One message, before it has a recipient.
#[derive(Debug, Clone)]
pub struct Letter {
    /// What kind of message it is, as the outbox records it.
    pub kind: &'static str,
    pub subject: String,
    paragraphs: Vec<String>,
    /// The one thing to do, as (button text, path).
    action: Option<(String, String)>,
    /// A reminder: it carries an unsubscribe link. Security mail never does.
    pub reminder: bool,
    /// The letter holds a secret (a sign-in link): its body is not kept once sent.
    pub secret: bool,
    /// The letter invites a reply (it tells of a decision or a problem): a reply goes
    /// to the operator.
    pub invites_reply: bool,
    /// Where a reply goes instead of the operator (the person who raised a concern, on
    /// the operator's copy).
    pub reply_to: Option<String>,
}

impl Letter {
    fn new(kind: &'static str, subject: impl Into<String>) -> Self {
        Letter {
            kind,
            subject: subject.into(),
            paragraphs: Vec::new(),
            action: None,
            reminder: false,
            secret: false,
            invites_reply: false,
            reply_to: None,
        }
    }

    fn invites_reply(mut self) -> Self {
        self.invites_reply = true;
        self
    }

    fn says(mut self, paragraph: impl Into<String>) -> Self {
        self.paragraphs.push(paragraph.into());
        self
    }

    fn action(mut self, label: &str, path: &str) -> Self {
        self.action = Some((label.to_owned(), format!("{SITE}{path}")));
        self
    }

    fn reminder(mut self) -> Self {
        self.reminder = true;
        self
    }

    /// The text body, to `name`, with the footer saying why they get it.
    pub fn text(&self, name: &str, why: &str, unsubscribe: Option<&str>) -> String {
        let name = plain_name(name).unwrap_or("there");
        let mut out = format!("Hello {name},\n\n");
        for p in &self.paragraphs {
            out.push_str(p);
            out.push_str("\n\n");
        }
        if let Some((label, url)) = &self.action {
            out.push_str(&format!("{label}:\n{url}\n\n"));
        }
        if self.invites_reply {
            out.push_str(REPLY);
        }
        out.push_str("The Tech Pledge registry\n\n--\n");
        out.push_str(why);
        out.push('\n');
        if let Some(link) = unsubscribe {
            out.push_str(&format!("To stop these reminders: {link}\n"));
        }
        out
    }

    /// The HTML body: the same words.
    pub fn html(&self, name: &str, why: &str, unsubscribe: Option<&str>) -> String {
        let mut out = String::from(
            "<!doctype html><html lang=\"en\"><body style=\"font-family: Arial, sans-serif; \
             font-size: 16px; line-height: 1.5; color: #0b0c0c; max-width: 40em\">",
        );
        out.push_str(&format!(
            "<p>Hello {},</p>",
            escape(plain_name(name).unwrap_or("there"))
        ));
        for p in &self.paragraphs {
            out.push_str(&format!("<p>{}</p>", escape(p)));
        }
        if let Some((label, url)) = &self.action {
            out.push_str(&format!(
                "<p><a href=\"{0}\" style=\"display: inline-block; background: #00703c; \
                 color: #ffffff; padding: 8px 16px; text-decoration: none\">{1}</a></p>\
                 <p style=\"font-size: 14px\">Or copy this address into your browser: {0}</p>",
                escape(url),
                escape(label)
            ));
        }
        if self.invites_reply {
            out.push_str(REPLY);
        }
        out.push_str("<p>The Tech Pledge registry</p><hr>");
        out.push_str(&format!("<p style=\"font-size: 14px\">{}", escape(why)));
        if let Some(link) = unsubscribe {
            out.push_str(&format!(
                " <a href=\"{}\">Stop these reminders</a>.",
                escape(link)
            ));
        }
        out.push_str("</p></body></html>");
        out
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether letters of `kind` hold a secret, and are not kept once sent.
pub fn holds_secret(kind: &str) -> bool {
    matches!(kind, "sign_in" | "confirm_address" | "confirm_subscriber")
}

/// "27 November 2026".
pub fn day(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn record(slug: &str) -> String {
    format!("/suppliers/{slug}")
}

pub fn sign_in(link_path: &str, minutes: i64) -> Letter {
    Letter {
        secret: true,
        ..Letter::new("sign_in", "Your sign-in link for the Tech Pledge registry")
            .says(format!(
                "Someone asked to sign in to the Tech Pledge registry with this email address. \
                 If it was you, use the link below. It works once, within {minutes} minutes."
            ))
            .says("If it was not you, you can ignore this email: nobody can sign in without the link.")
            .action("Sign in", link_path)
    }
}

pub fn operator_sign_in(link_path: &str, minutes: i64) -> Letter {
    Letter {
        secret: true,
        ..Letter::new("operator_sign_in", "Your sign-in link for the registry's operator console")
            .says(format!(
                "Someone asked to sign in to the Tech Pledge registry's operator console with this \
                 email address. If it was you, use the link below. It works once, within {minutes} \
                 minutes, and the session it starts lasts 8 hours."
            ))
            .says("If it was not you, tell the other operators: nobody can sign in without the link, but someone knows you run the registry.")
            .action("Sign in to the console", link_path)
    }
}

pub fn confirm_address(supplier: &str, link_path: &str, minutes: i64) -> Letter {
    Letter {
        secret: true,
        ..Letter::new("confirm_address", format!("Confirm your email address for {supplier}"))
            .says(format!(
                "{supplier} has registered with the Tech Pledge registry, with you as its contact. \
                 Please confirm that this is your email address by signing in with the link below \
                 (it works once, within {minutes} minutes)."
            ))
            .says("Once you have signed in you can add your statements and evidence, invite colleagues and create API tokens. You can sign in again at any time from the registry's sign-in page.")
            .action("Confirm and sign in", link_path)
    }
}

/// A name someone else wrote, as a letter to an address nobody has confirmed may show
/// it: short and plain (letters, digits, spaces and `.,'&()-`, nothing that reads as a
/// web or mail address), or not at all. Such letters carry no other text a requester
/// wrote, so the registry cannot be made to mail anyone a message of someone else's.
pub fn plain_name(name: &str) -> Option<&str> {
    let name = name.trim();
    let chars: Vec<char> = name.chars().collect();
    let plain = (1..=60).contains(&chars.len())
        && chars
            .iter()
            .all(|c| c.is_alphanumeric() || " .,'&()-".contains(*c))
        && !chars
            .windows(3)
            .any(|w| w[0].is_alphanumeric() && w[1] == '.' && w[2].is_alphabetic())
        && !name.to_lowercase().contains("www");
    plain.then_some(name)
}

pub fn invited(supplier: &str, role: &str, by: &str, link_path: &str, days: i64) -> Letter {
    let supplier = plain_name(supplier).unwrap_or("a supplier");
    let by = plain_name(by).unwrap_or("One of its owners");
    Letter {
        secret: true,
        ..Letter::new(
            "invited",
            format!("You are invited to join {supplier} on the Tech Pledge registry"),
        )
        .says(format!(
            "{by} has invited you to help keep {supplier}'s record on the Tech Pledge registry, as {role}."
        ))
        .says(format!(
            "Nothing happens unless you accept: the link below lets you accept or decline, once, within {days} days. \
             There is no password to remember; afterwards you sign in with this address."
        ))
        .says("If you do not know them, ignore this email, or decline.")
        .action("Accept or decline the invitation", link_path)
    }
}

pub fn key_replaced() -> Letter {
    Letter::new(
        "key_replaced",
        "Your Tech Pledge registry tokens have ended: get new ones",
    )
    .says(
        "The registry replaced the key it signs with, because the old one may have become known \
         to someone else. To be safe, every session and API token it had issued has ended, yours \
         included. Nothing on your record has changed.",
    )
    .says(
        "To carry on: sign in again by email (there is no password). Owners create new API \
         tokens for their tools on their account page. A webhook tool gets a new token by \
         signing up again with the same address.",
    )
    .action("Sign in again", "/sign-in")
}

pub fn made_owner(supplier: &str) -> Letter {
    Letter::new("made_owner", format!("You are now an owner of {supplier} on the Tech Pledge registry"))
        .says(format!(
            "The registry operator has made you an owner of {supplier}'s record on the Tech Pledge registry. \
             As an owner you can add and remove colleagues and create API tokens."
        ))
        .action("Go to the sign-in page", "/sign-in")
}

pub fn verified(supplier: &str, slug: &str) -> Letter {
    Letter::new(
        "verified",
        format!("{supplier} is now verified on the Tech Pledge registry"),
    )
    .says(format!(
        "The registry has checked who {supplier} is, and its record now shows it as verified. \
             Care providers looking you up will see that."
    ))
    .action("See your public record", &record(slug))
    .invites_reply()
}

pub fn suspended(supplier: &str, slug: &str, reason: &str) -> Letter {
    Letter::new("suspended", format!("{supplier} has been suspended from the Tech Pledge registry"))
        .says(format!(
            "The registry has suspended {supplier}'s signature of the Tech Pledge. Its public record now says so."
        ))
        .says(format!("The reason given: {reason}"))
        .says("If you think this is wrong, or once you have put it right, reply to this email or contact the registry operator.")
        .action("See your public record", &record(slug))
        .invites_reply()
}

pub fn reinstated(supplier: &str, slug: &str, reason: &str) -> Letter {
    Letter::new("reinstated", format!("{supplier} has been reinstated on the Tech Pledge registry"))
        .says(format!(
            "The registry has lifted the suspension of {supplier}'s signature. Its public record shows it as signed again."
        ))
        .says(format!("The reason given: {reason}"))
        .action("See your public record", &record(slug))
        .invites_reply()
}

pub fn evidence_broken(
    supplier: &str,
    evidence_id: &str,
    title: &str,
    url: &str,
    detail: &str,
) -> Letter {
    Letter::new("evidence_broken", format!("A link on {supplier}'s record has stopped working"))
        .says(format!(
            "The registry checks the evidence links on your record regularly. \"{title}\" ({url}) has not \
             worked for several checks in a row, and your public record now shows it as failing."
        ))
        .says(format!("What the last check found: {detail}"))
        .says("Please fix the page, or change the link on your record to where the document is now.")
        .action("Change the link on your record", &format!("/account/evidence/{evidence_id}"))
        .invites_reply()
}

pub fn evidence_recovered(supplier: &str, slug: &str, title: &str, url: &str) -> Letter {
    Letter::new("evidence_recovered", format!("A link on {supplier}'s record works again"))
        .says(format!(
            "\"{title}\" ({url}) answered the registry's last check, and your public record shows it as working again."
        ))
        .action("See your record", &record(slug))
}

pub fn evidence_content_changed(
    supplier: &str,
    slug: &str,
    evidence_id: &str,
    title: &str,
    url: &str,
    since_signed: bool,
) -> Letter {
    let standing = if since_signed {
        "Your public record now says it has changed since you signed or last reaffirmed the pledge, \
         and shows anyone the words that changed."
    } else {
        "It now reads as it did when you signed or last reaffirmed the pledge, and your public \
         record says so again."
    };
    Letter::new("evidence_content_changed", format!("A document on {supplier}'s record has changed"))
        .says(format!(
            "The registry keeps a copy of the words of each evidence document on your record. \
             The last check of \"{title}\" ({url}) found different words than the check before."
        ))
        .says(standing)
        .says("If the change is yours, nothing needs doing; reaffirming the pledge makes the document as it is now the one you stand by.")
        .action(
            "See what changed",
            &format!("{}/evidence/{evidence_id}/changes", record(slug)),
        )
}

pub fn company_flagged(
    supplier: &str,
    supplier_id: &str,
    number: &str,
    raised: &[crate::domain::company::CompanyFlag],
    registered_name: Option<&str>,
    status: Option<&str>,
) -> Letter {
    use crate::domain::company::CompanyFlag::*;
    let mut letter = Letter::new(
        "company_flagged",
        format!("Companies House: {supplier} ({number}) needs a look"),
    )
    .says(format!(
        "The registry asked Companies House about company {number}, which {supplier} gives as its own. \
         Its answer raises what follows, and the supplier's public record now shows it."
    ));
    for flag in raised {
        letter = letter.says(match flag {
            Dissolved => format!(
                "The company is no longer live: its status is \"{}\".",
                status.unwrap_or("dissolved")
            ),
            Insolvency => format!(
                "The company is in insolvency: its status is \"{}\".",
                status.unwrap_or("insolvency")
            ),
            NameMismatch => format!(
                "The name registered at Companies House, \"{}\", is not the supplier's name.",
                registered_name.unwrap_or("")
            ),
            NotFound => "Companies House has no company with this number.".to_owned(),
        });
    }
    letter
        .says("You may want to ask the supplier, and to look at its identity verification again.")
        .action(
            "See the supplier on the console",
            &format!("/operator/suppliers/{supplier_id}"),
        )
}

pub fn certification_expiring(supplier: &str, slug: &str, title: &str, on: NaiveDate) -> Letter {
    Letter::new("certification_expiring", format!("A certification on {supplier}'s record expires on {}", day(on)))
        .says(format!(
            "\"{title}\" on your record expires on {}. After that date your public record will show it as expired.",
            day(on)
        ))
        .says("When you have renewed it, update the evidence on your record with the new certificate and its expiry date.")
        .action("See your record", &record(slug))
        .reminder()
}

pub fn reaffirm_due(supplier: &str, by: DateTime<Utc>, days: i64) -> Letter {
    Letter::new("reaffirm_reminder", format!("{supplier} must reaffirm the Tech Pledge by {}", day(by.date_naive())))
        .says(format!(
            "Signatures of the Tech Pledge must be reaffirmed every year. {supplier}'s signature must be \
             reaffirmed by {} ({days} days from now). If it is not, the public record will show the \
             signature as lapsed.",
            day(by.date_naive())
        ))
        .says("Reaffirming takes a minute: sign in, check your statements are still true, and reaffirm.")
        .action("Sign in to reaffirm", "/sign-in")
        .reminder()
}

pub fn lapsed(supplier: &str, slug: &str) -> Letter {
    Letter::new("lapsed", format!("{supplier}'s Tech Pledge signature has lapsed"))
        .says(format!(
            "{supplier}'s signature of the Tech Pledge was not reaffirmed by its date, and the public record now shows it as lapsed."
        ))
        .says("You can put this right at any time: sign in and reaffirm your signature.")
        .action("See your public record", &record(slug))
        .invites_reply()
}

pub fn new_version(supplier: &str, version: &str, title: &str) -> Letter {
    Letter::new("new_pledge_version", format!("A new version of the Tech Pledge is ready to sign: {version}"))
        .says(format!(
            "The registry has published version {version} of the Tech Pledge (\"{title}\"). {supplier}'s \
             record shows the version it signed, which is now an earlier one."
        ))
        .says("To stay current, sign in, read the new version and sign it with your statements for each commitment.")
        .action("Read the new version", "/pledge")
        .reminder()
}

pub fn token_expiring(supplier: &str, label: &str, at: DateTime<Utc>) -> Letter {
    Letter::new("token_expiring", format!("An API token of {supplier} expires on {}", day(at.date_naive())))
        .says(format!(
            "The API token \"{label}\" of {supplier} stops working on {}. Anything that uses it (an \
             automated update, for example) will then be refused.",
            day(at.date_naive())
        ))
        .says("An owner can create a new token after signing in, and revoke this one once it is replaced.")
        .action("Sign in", "/sign-in")
}

pub fn confirm_subscriber(name: &str, link_path: &str, minutes: i64) -> Letter {
    let name = plain_name(name).map_or(String::new(), |n| format!(" for \"{n}\""));
    Letter {
        secret: true,
        ..Letter::new("confirm_subscriber", "Confirm your webhook account on the Tech Pledge registry")
            .says(format!(
                "Someone asked for a webhook account on the Tech Pledge registry{name}, with \
                 this email address. If it was you, use the link below to confirm the address \
                 and receive the account's API token (the link works once, within {minutes} minutes). \
                 If this address has an account already, the link gives it a new token."
            ))
            .says("The registry writes to this address when a subscription stops working.")
            .says("If it was not you, you can ignore this email: nothing happens without the link.")
            .action("Confirm and get the token", link_path)
    }
}

pub fn concern_raised(
    reference: &str,
    id: &str,
    about: &str,
    slug: Option<&str>,
    details: &str,
    reply_to: Option<&str>,
) -> Letter {
    let mut letter = Letter::new(
        "concern_raised",
        format!("A concern was raised about {about} ({reference})"),
    )
    .says(format!(
        "Someone raised a concern about {about} on the registry's pages. They wrote:"
    ))
    .says(details.to_owned())
    .says(match reply_to {
        Some(a) => format!(
            "They gave an address for an answer: {a}. Replying to this email writes to them."
        ),
        None => "They gave no address for an answer.".to_owned(),
    })
    .says(format!(
        "Its id is {id}. Read it, reply and close it with what you found on the operator \
             console (they are told, if they gave an address). With the API: \
             POST /api/v1/admin/concerns/{id}/close with {{\"outcome\": \"...\"}}; \
             every open concern is listed at /api/v1/admin/concerns."
    ));
    if let Some(slug) = slug {
        letter = letter.says(format!(
            "The supplier's public record: {SITE}{}",
            record(slug)
        ));
    }
    letter.reply_to = reply_to.map(str::to_owned);
    letter.action(
        "Open it on the console",
        &format!("/operator/concerns/{id}"),
    )
}

pub fn concern_received(reference: &str, about: &str) -> Letter {
    let about = plain_name(about).unwrap_or("a supplier");
    Letter::new("concern_received", format!("Your concern about {about} is recorded ({reference})"))
        .says(format!(
            "Thank you. The Tech Pledge registry's operator has your concern about {about}. Its reference is {reference}."
        ))
        .says(
            "The operator reads every concern, usually within five working days, and checks the supplier's \
             record against what you told them. We will write to you again when it is closed, with what was found.",
        )
        .says("Your address is not published or given to the supplier.")
        .invites_reply()
}

pub fn concern_closed(reference: &str, about: &str, outcome: &str) -> Letter {
    let about = plain_name(about).unwrap_or("a supplier");
    Letter::new(
        "concern_closed",
        format!("Your concern about {about} is closed ({reference})"),
    )
    .says(format!(
        "The Tech Pledge registry's operator has closed your concern {reference} about {about}."
    ))
    .says(format!("What they found: {outcome}"))
    .invites_reply()
}

pub fn concern_reply(reference: &str, about: &str, reply: &str) -> Letter {
    let about = plain_name(about).unwrap_or("a supplier");
    Letter::new(
        "concern_reply",
        format!("About your concern {reference} ({about})"),
    )
    .says(format!(
        "The Tech Pledge registry's operator has written about your concern {reference} about {about}:"
    ))
    .says(reply.to_owned())
    .says("The concern is still open. Reply to this email to answer.")
    .invites_reply()
}

pub fn webhook_disabled(url: &str, reason: &str) -> Letter {
    Letter::new("webhook_disabled", "A webhook subscription to the Tech Pledge registry has stopped")
        .says(format!(
            "The registry could not deliver changes to {url} for several days, so it has stopped \
             trying and disabled the subscription."
        ))
        .says(format!("Why: {reason}"))
        .says("Nothing is lost: once the endpoint works again, resume the subscription and every change since the last one it took is delivered, in order.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_bodies_say_the_same_and_html_is_escaped() {
        let l = suspended("A&B <Care>", "a-b-care", "evidence \"withdrawn\"");
        let text = l.text("Sam", "You are a member of A&B <Care>.", None);
        let html = l.html("Sam", "You are a member of A&B <Care>.", None);
        assert!(text.contains("A&B <Care>") && text.contains("evidence \"withdrawn\""));
        assert!(html.contains("A&amp;B &lt;Care&gt;") && !html.contains("<Care>"));
        assert!(text.contains(&format!("{SITE}/suppliers/a-b-care")));
        assert!(!l.reminder && !l.secret);
    }

    #[test]
    fn reminders_carry_an_unsubscribe_link_and_security_mail_does_not() {
        let r = reaffirm_due("Acme", Utc::now(), 30);
        assert!(r.reminder);
        assert!(
            r.text("Sam", "why", Some("U"))
                .contains("To stop these reminders: U")
        );
        let s = sign_in("/sign-in/x", 15);
        assert!(!s.reminder && s.secret);
    }
}
