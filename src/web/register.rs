//! Registering a supplier on the pages, in the GOV.UK "start" pattern: what you need,
//! the form, check your answers, then a link by email to confirm the address and sign
//! in. Nothing is stored until the answers are confirmed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use super::form::{Form, Posted, private, see_other};
use super::render;
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::http::ratelimit::RegistrationQuota;
use crate::state::State;
use crate::usecases::accounts::LINK_MINUTES;
use crate::usecases::register::{self, Register, Registration};

/// The form's answers, as typed (each clipped to what its field takes).
#[derive(Debug, Default, Clone)]
struct Answers {
    name: String,
    website: String,
    company_number: String,
    description: String,
    products: String,
    contact_name: String,
    contact_email: String,
}

impl Answers {
    fn of(form: &Form) -> Answers {
        let clip = |name: &str, n: usize| form.get(name).chars().take(n).collect::<String>();
        Answers {
            name: clip("name", 200),
            website: clip("website", 2000),
            company_number: clip("company_number", 20),
            description: clip("description", 2000),
            products: clip("products", 2000),
            contact_name: clip("contact_name", 200),
            contact_email: clip("contact_email", 254),
        }
    }

    /// The products, one a line.
    fn product_list(&self) -> Vec<String> {
        self.products
            .lines()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn registration(&self) -> Registration {
        Registration {
            name: self.name.clone(),
            website: self.website.trim().to_owned(),
            company_number: Some(self.company_number.trim().to_owned()).filter(|c| !c.is_empty()),
            description: self.description.clone(),
            products: self.product_list(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.trim().to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    /// start, details, check or done.
    stage: &'static str,
    a: Answers,
    products: Vec<String>,
    errors: Vec<(String, String)>,
    minutes: i64,
}

impl RegisterPage {
    fn new(stage: &'static str, a: Answers) -> Self {
        RegisterPage {
            stage,
            products: a.product_list(),
            a,
            errors: Vec::new(),
            minutes: LINK_MINUTES,
        }
    }
}

fn show(status: StatusCode, page: &RegisterPage) -> ApiResult<HttpResponse> {
    Ok(private(status, render(page)?))
}

/// The form again, saying what to fix.
fn refused(a: Answers, e: ApiError) -> ApiResult<HttpResponse> {
    let status = actix_web::ResponseError::status_code(&e);
    let errors = match e {
        ApiError::Domain(Error::Validation(errors)) => {
            errors.into_iter().map(|f| (f.field, f.message)).collect()
        }
        ApiError::Domain(Error::Conflict(why)) => vec![("company_number".to_owned(), why)],
        other => return Err(other),
    };
    let mut page = RegisterPage::new("details", a);
    page.errors = errors;
    show(status, &page)
}

/// Registering: what you need, and what happens next.
#[utoipa::path(operation_id = "getRegisterPage", tag = "pages",
    responses((status = 200, description = "HTML: what registering needs, and a start button", content_type = "text/html")))]
#[get("/register")]
pub async fn start() -> ApiResult<HttpResponse> {
    show(
        StatusCode::OK,
        &RegisterPage::new("start", Answers::default()),
    )
}

/// The registration form.
#[utoipa::path(operation_id = "getRegisterDetailsPage", tag = "pages",
    responses((status = 200, description = "HTML: the registration form", content_type = "text/html")))]
#[get("/register/details")]
pub async fn details() -> ApiResult<HttpResponse> {
    show(
        StatusCode::OK,
        &RegisterPage::new("details", Answers::default()),
    )
}

/// Check the answers before registering (nothing is stored yet).
#[utoipa::path(operation_id = "postRegisterDetailsPage", tag = "pages",
    responses(
        (status = 200, description = "HTML: the answers to check", content_type = "text/html"),
        (status = 413, description = "HTML: the form is larger than the registry takes", content_type = "text/html"),
        (status = 422, description = "HTML: the form again, naming each field to fix", content_type = "text/html"),
    ))]
#[post("/register/details")]
pub async fn check(body: Posted) -> ApiResult<HttpResponse> {
    let a = Answers::of(&body.0);
    match Register::parse(a.registration()) {
        Ok(_) => show(StatusCode::OK, &RegisterPage::new("check", a)),
        Err(e) => refused(a, e.into()),
    }
}

/// Back from checking the answers to the form, filled in.
#[utoipa::path(operation_id = "postRegisterChangePage", tag = "pages",
    responses((status = 200, description = "HTML: the form with the answers given", content_type = "text/html")))]
#[post("/register/change")]
pub async fn change(body: Posted) -> ApiResult<HttpResponse> {
    show(
        StatusCode::OK,
        &RegisterPage::new("details", Answers::of(&body.0)),
    )
}

/// Register, with the answers checked: the contact gets a link by email to confirm
/// the address and sign in. Refused when posted from another site.
#[utoipa::path(operation_id = "postRegisterPage", tag = "pages",
    responses(
        (status = 303, description = "Registered: to the page saying what happens next"),
        (status = 403, description = "HTML: the form was posted from another site", content_type = "text/html"),
        (status = 409, description = "HTML: the form again: a supplier the registry verified holds the company number", content_type = "text/html"),
        (status = 413, description = "HTML: the form is larger than the registry takes", content_type = "text/html"),
        (status = 422, description = "HTML: the form again, naming each field to fix", content_type = "text/html"),
        (status = 429, description = "HTML: too many registrations from this client", content_type = "text/html"),
    ))]
#[post("/register")]
pub async fn submit(
    req: HttpRequest,
    state: State,
    quota: Result<RegistrationQuota, ApiError>,
    body: Posted,
) -> ApiResult<HttpResponse> {
    if let Some(refusal) = super::origin::public_form_refusal(&req, &state, &quota) {
        return Ok(refusal);
    }
    let a = Answers::of(&body.0);
    let parsed = match Register::parse(a.registration()) {
        Ok(parsed) => parsed,
        Err(e) => return refused(a, e.into()),
    };
    let result = state.tx(move |conn| register::register(conn, parsed)).await;
    match result {
        Ok(row) => {
            tracing::info!(supplier_id = %row.id, slug = %row.slug, "supplier registered on the pages");
            Ok(see_other("/register/done"))
        }
        Err(e) => refused(a, e),
    }
}

/// What happens next, once registered.
#[utoipa::path(operation_id = "getRegisterDonePage", tag = "pages",
    responses((status = 200, description = "HTML: check your email", content_type = "text/html")))]
#[get("/register/done")]
pub async fn done() -> ApiResult<HttpResponse> {
    show(
        StatusCode::OK,
        &RegisterPage::new("done", Answers::default()),
    )
}
