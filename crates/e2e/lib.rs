//! Holder crate for the end-to-end suite in `tests/`; the tests themselves
//! live there. It also provides the suite's `#[e2e]` attribute.

use proc_macro::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};

/// Registers an end-to-end test where it is defined:
///
/// ```ignore
/// #[e2e]
/// async fn checkout_reserves_charges_and_commits() { ... }
/// ```
///
/// keeps the function as written and adds it to the suite's registry
/// (`crate::support::E2eTest`, collected with `inventory`) under
/// `module::path::name`, so a test cannot be written and left out of the run.
/// The function must be a parameterless `async fn`.
#[proc_macro_attribute]
pub fn e2e(args: TokenStream, item: TokenStream) -> TokenStream {
    if let Some(arg) = args.into_iter().next() {
        return error(arg.span(), "#[e2e] takes no arguments");
    }
    let tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let Some(at) = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "fn"))
    else {
        return error(Span::call_site(), "#[e2e] goes on an `async fn`");
    };
    let is_async =
        at > 0 && matches!(&tokens[at - 1], TokenTree::Ident(i) if i.to_string() == "async");
    let (Some(TokenTree::Ident(name)), Some(TokenTree::Group(params))) =
        (tokens.get(at + 1), tokens.get(at + 2))
    else {
        return error(tokens[at].span(), "#[e2e] goes on an `async fn name()`");
    };
    if !is_async {
        return error(name.span(), "an #[e2e] test must be an `async fn`");
    }
    if params.delimiter() != Delimiter::Parenthesis || !params.stream().is_empty() {
        return error(params.span(), "an #[e2e] test takes no parameters");
    }
    let registration = format!(
        "::inventory::submit! {{
            crate::support::E2eTest {{
                name: ::core::concat!(::core::module_path!(), \"::\", \"{name}\"),
                run: || ::std::boxed::Box::pin({name}()) as crate::support::TestFuture,
            }}
        }}"
    );
    let mut out = item;
    match registration.parse::<TokenStream>() {
        Ok(registration) => out.extend(registration),
        Err(e) => return error(name.span(), &format!("#[e2e] could not register: {e}")),
    }
    out
}

/// `compile_error!(message)` pointing at `span`.
fn error(span: Span, message: &str) -> TokenStream {
    let mut message = proc_macro::Literal::string(message);
    message.set_span(span);
    let mut args = Group::new(
        Delimiter::Parenthesis,
        TokenStream::from(TokenTree::Literal(message)),
    );
    args.set_span(span);
    let mut bang = proc_macro::Punct::new('!', proc_macro::Spacing::Alone);
    bang.set_span(span);
    let mut semi = proc_macro::Punct::new(';', proc_macro::Spacing::Alone);
    semi.set_span(span);
    [
        TokenTree::Ident(Ident::new("compile_error", span)),
        TokenTree::Punct(bang),
        TokenTree::Group(args),
        TokenTree::Punct(semi),
    ]
    .into_iter()
    .collect()
}
