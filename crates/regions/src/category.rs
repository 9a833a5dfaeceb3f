//! Tax categories: the vocabulary shared by region packs and products. A
//! variant names one; a pack may tax, age-gate, limit or restrict it.

use std::fmt;

macro_rules! categories {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A tax category, as written in packs and on product variants.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum TaxCategory { $($variant),* }

        impl TaxCategory {
            pub const ALL: &'static [TaxCategory] = &[$(TaxCategory::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(TaxCategory::$variant => $name),* }
            }
        }
    };
}

categories! {
    General => "general",
    Groceries => "groceries",
    PreparedFood => "prepared_food",
    Clothing => "clothing",
    ChildrensClothing => "childrens_clothing",
    Books => "books",
    Medicine => "medicine",
    MedicalDevices => "medical_devices",
    Alcohol => "alcohol",
    Tobacco => "tobacco",
    Vaping => "vaping",
    Cannabis => "cannabis",
    CannabisFlower => "cannabis_flower",
    CannabisConcentrate => "cannabis_concentrate",
    CannabisEdible => "cannabis_edible",
    DigitalGoods => "digital_goods",
    Firearms => "firearms",
    Fuel => "fuel",
    Services => "services",
    Shipping => "shipping",
}

impl TaxCategory {
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == raw)
    }

    /// A category a product variant may carry: any but `shipping`, which
    /// packs use to tax delivery charges.
    pub fn for_product(raw: &str) -> Option<Self> {
        Self::parse(raw).filter(|c| *c != TaxCategory::Shipping)
    }

    /// Every category a product may carry, for error messages.
    pub fn product_names() -> String {
        Self::joined(|c| c != TaxCategory::Shipping)
    }

    /// The broader category this one belongs to: a rule on `cannabis`
    /// covers flower, concentrate and edibles too.
    pub fn parent(self) -> Option<Self> {
        match self {
            TaxCategory::CannabisFlower
            | TaxCategory::CannabisConcentrate
            | TaxCategory::CannabisEdible => Some(TaxCategory::Cannabis),
            TaxCategory::ChildrensClothing => Some(TaxCategory::Clothing),
            TaxCategory::Vaping => Some(TaxCategory::Tobacco),
            _ => None,
        }
    }

    /// Whether a rule naming `rule` covers this category.
    pub fn is_within(self, rule: Self) -> bool {
        self == rule || self.parent() == Some(rule)
    }

    /// Every category name, for error messages.
    pub fn names() -> String {
        Self::joined(|_| true)
    }

    fn joined(keep: impl Fn(Self) -> bool) -> String {
        Self::ALL
            .iter()
            .copied()
            .filter(|c| keep(*c))
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for TaxCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
