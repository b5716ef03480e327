//! The first pledge version, loaded into an empty registry: six commitments in our own
//! words, with the address of the official pledge page.

use chrono::NaiveDate;

pub struct FirstVersion {
    pub version: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub source_url: &'static str,
    pub published_on: (i32, u32, u32),
    pub commitments: &'static [(&'static str, &'static str, &'static str)],
}

pub const FIRST: FirstVersion = FirstVersion {
    version: "2025-09",
    title: "Tech Pledge for the responsible use of AI in social care",
    summary: "Technology suppliers commit to developing and offering AI for adult social care responsibly: \
        working with the people who draw on and provide care, being open about what their AI does, keeping \
        people safe, treating everyone fairly, protecting personal data and being answerable for outcomes.",
    source_url: "https://www.digitalcarehub.co.uk/ai-and-robotics/oxford-project-the-responsible-use-of-generative-ai-in-social-care/pledge-by-tech-suppliers-on-the-responsible-use-of-ai-in-social-care/",
    published_on: (2025, 9, 1),
    commitments: &[
        (
            "co_production",
            "Co-production",
            "We design, test and improve our AI products together with people who draw on care and support, \
             their families and unpaid carers, and the people who provide care, and we show how their views \
             changed what we built.",
        ),
        (
            "transparency",
            "Transparency",
            "We tell care providers and the people they support, in plain language, when and how our products \
             use AI, what it is for, what it cannot do, and where its outputs come from.",
        ),
        (
            "safety",
            "Safety",
            "We assess and reduce the risks our AI poses to people's safety and wellbeing before and after \
             release, keep a person able to check and override its outputs, and act quickly on incidents.",
        ),
        (
            "fairness",
            "Fairness and equality",
            "We test our AI for bias and unequal outcomes across the people it affects, take steps to prevent \
             discrimination, and make our products accessible.",
        ),
        (
            "data_protection",
            "Data protection and security",
            "We handle personal data lawfully and securely, use no more than we need, are clear about whether \
             it is used to train models, and meet recognised security standards.",
        ),
        (
            "accountability",
            "Accountability",
            "We name who is responsible for our AI, give care providers and the people they support a way to \
             raise concerns and seek redress, and report openly on how we keep this pledge.",
        ),
    ],
};

impl FirstVersion {
    pub fn published_on(&self) -> NaiveDate {
        let (y, m, d) = self.published_on;
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }
}
