//! The tenant-aware exercise catalog: library seeding, visibility, lookup.

use fitvision_proto::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::convert::exercise_to_proto;
use crate::db::entity::{exercise, library_selection};
use crate::db::{is_unique_violation, now_ms};
use fitvision_exercise_engine::definition::normalise_id as normalise;

/// One library exercise as seeded.
struct LibraryRow {
    id: String,
    name: String,
    name_zh: String,
    mode: String,
    category: String,
    domain: String,
    difficulty: String,
    description: String,
    target_value: i32,
    estimated_calories: f64,
    aliases: Vec<String>,
    definition_json: String,
}

/// The library: the exercise engine's built-in catalog, the only list of exercises
/// (ids, names, aliases, domains, descriptions and the definitions themselves), in its
/// order. A tenant's view adds its own exercises and selection on top.
fn library_rows() -> Vec<LibraryRow> {
    let catalog = match fitvision_exercise_engine::Catalog::builtin() {
        Ok(catalog) => catalog,
        Err(error) => {
            // The built-in definitions are validated by the engine's tests; a failure
            // here is a broken build, reported rather than seeded half-way.
            tracing::error!(%error, "the built-in exercise catalog does not load");
            return Vec::new();
        }
    };
    catalog
        .definitions()
        .iter()
        .map(|definition| {
            let timed = definition.mode == fitvision_exercise_engine::definition::Mode::Timer;
            LibraryRow {
                id: definition.id.clone(),
                name: definition.name.clone(),
                name_zh: definition.name_zh.clone(),
                mode: definition.mode.as_str().to_owned(),
                category: definition.category.clone(),
                domain: definition.domain.clone(),
                difficulty: DEFAULT_DIFFICULTY.to_owned(),
                description: definition.description.clone(),
                // Seconds for timed exercises, reps otherwise.
                target_value: if timed { 30 } else { 10 },
                estimated_calories: DEFAULT_ESTIMATED_CALORIES,
                aliases: definition.aliases.clone(),
                definition_json: definition.to_json(),
            }
        })
        .collect()
}

/// Presentation defaults of library exercises (AI Move's catalog fields).
const DEFAULT_DIFFICULTY: &str = "beginner";
const DEFAULT_ESTIMATED_CALORIES: f64 = 8.0;

/// Inserts library exercises that are missing; never overwrites edits.
pub async fn seed_library<C: ConnectionTrait>(
    db: &C,
    library_tenant: &str,
) -> Result<usize, sea_orm::DbErr> {
    let existing: Vec<String> = exercise::Entity::find()
        .filter(exercise::Column::TenantId.eq(library_tenant))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    let now = now_ms();
    let mut inserted = 0;
    for (index, entry) in library_rows().into_iter().enumerate() {
        if existing.contains(&entry.id) {
            continue;
        }
        let result = exercise::ActiveModel {
            tenant_id: Set(library_tenant.to_owned()),
            image_url: Set(format!("/assets/ai-move/{}.webp", entry.id)),
            id: Set(entry.id),
            is_library: Set(true),
            name: Set(entry.name),
            name_zh: Set(entry.name_zh),
            description: Set(entry.description),
            category: Set(entry.category),
            difficulty: Set(entry.difficulty),
            mode: Set(entry.mode),
            target_value: Set(entry.target_value),
            estimated_calories: Set(entry.estimated_calories),
            definition_json: Set(entry.definition_json),
            aliases: Set(serde_json::to_string(&entry.aliases).unwrap_or_else(|_| "[]".into())),
            domain: Set(entry.domain),
            enabled: Set(true),
            sort_order: Set(((index + 1) * 10) as i32),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await;
        match result {
            Ok(_) => inserted += 1,
            // A concurrent replica seeded it.
            Err(error) if is_unique_violation(&error) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(inserted)
}

fn matches_id(model: &exercise::Model, wanted: &str) -> bool {
    if normalise(&model.id) == wanted {
        return true;
    }
    serde_json::from_str::<Vec<String>>(&model.aliases)
        .unwrap_or_default()
        .iter()
        .any(|alias| normalise(alias) == wanted)
}

/// The exercises a tenant's users see (AI Move listing): for the library
/// tenant its enabled library; otherwise its enabled customs plus its
/// enabled selection of enabled library exercises. Ordered by sortOrder.
pub async fn visible<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    library_tenant: &str,
) -> Result<Vec<pb::CatalogExercise>, sea_orm::DbErr> {
    let library = exercise::Entity::find()
        .filter(exercise::Column::TenantId.eq(library_tenant))
        .filter(exercise::Column::Enabled.eq(true))
        .order_by_asc(exercise::Column::SortOrder)
        .all(db)
        .await?;
    if tenant_id == library_tenant {
        return Ok(library
            .iter()
            .map(|e| exercise_to_proto(e, true, e.sort_order))
            .collect());
    }
    let customs = exercise::Entity::find()
        .filter(exercise::Column::TenantId.eq(tenant_id))
        .filter(exercise::Column::Enabled.eq(true))
        .all(db)
        .await?;
    let selection = library_selection::Entity::find()
        .filter(library_selection::Column::TenantId.eq(tenant_id))
        .filter(library_selection::Column::Enabled.eq(true))
        .all(db)
        .await?;
    let mut visible: Vec<pb::CatalogExercise> = customs
        .iter()
        .map(|e| exercise_to_proto(e, true, e.sort_order))
        .collect();
    for chosen in &selection {
        if let Some(entry) = library.iter().find(|e| e.id == chosen.exercise_id) {
            visible.push(exercise_to_proto(entry, true, chosen.sort_order));
        }
    }
    visible.sort_by(|a, b| {
        a.sort_order
            .cmp(&b.sort_order)
            .then(a.exercise_id.cmp(&b.exercise_id))
    });
    Ok(visible)
}

/// Finds an exercise by id or alias among the tenant's customs, then the
/// library, for analysis. `None` = unknown exercise.
pub async fn resolve<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    library_tenant: &str,
    id: &str,
) -> Result<Option<exercise::Model>, sea_orm::DbErr> {
    let wanted = normalise(id);
    if wanted.is_empty() {
        return Ok(None);
    }
    let candidates = exercise::Entity::find()
        .filter(exercise::Column::TenantId.is_in([tenant_id, library_tenant]))
        .filter(exercise::Column::Enabled.eq(true))
        .all(db)
        .await?;
    let custom = candidates
        .iter()
        .find(|e| e.tenant_id == tenant_id && !e.is_library && matches_id(e, &wanted));
    let found = custom.or_else(|| {
        candidates
            .iter()
            .find(|e| e.tenant_id == library_tenant && matches_id(e, &wanted))
    });
    Ok(found.cloned())
}

/// One exercise as the tenant sees it, or `None` when it is not visible.
pub async fn visible_one<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    library_tenant: &str,
    id: &str,
) -> Result<Option<pb::CatalogExercise>, sea_orm::DbErr> {
    let wanted = normalise(id);
    let all = visible(db, tenant_id, library_tenant).await?;
    if let Some(found) = all.iter().find(|e| normalise(&e.exercise_id) == wanted) {
        return Ok(Some(found.clone()));
    }
    // Alias lookup ("squat-basic" for the library squat) among visible ones.
    let resolved = resolve(db, tenant_id, library_tenant, id).await?;
    Ok(resolved.and_then(|model| all.into_iter().find(|e| e.exercise_id == model.id)))
}

/// Creates or replaces a tenant's custom exercise.
pub async fn upsert_custom<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    input: &pb::CatalogExercise,
) -> Result<exercise::Model, sea_orm::DbErr> {
    let now = now_ms();
    let existing = exercise::Entity::find_by_id((tenant_id.to_owned(), input.exercise_id.clone()))
        .one(db)
        .await?;
    let mut model = exercise::ActiveModel {
        tenant_id: Set(tenant_id.to_owned()),
        id: Set(input.exercise_id.clone()),
        is_library: Set(false),
        name: Set(input.name.clone()),
        name_zh: Set(input.name_zh.clone()),
        description: Set(input.description.clone()),
        category: Set(input.category.clone()),
        difficulty: Set(input.difficulty.clone()),
        image_url: Set(input.image_url.clone()),
        mode: Set(if input.r#type.is_empty() {
            "rep".into()
        } else {
            input.r#type.clone()
        }),
        target_value: Set(input.target_value as i32),
        estimated_calories: Set(input.estimated_calories),
        definition_json: Set(input.algorithm_json.clone()),
        aliases: Set("[]".into()),
        domain: Set(String::new()),
        enabled: Set(input.enabled),
        sort_order: Set(input.sort_order),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match existing {
        Some(found) => {
            model.created_at = Set(found.created_at);
            model.update(db).await
        }
        None => model.insert(db).await,
    }
}
