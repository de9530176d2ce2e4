//! Lifecycle workflow runs: who each workflow runs for on which day, its tasks in execution
//! order, the e-mails they send and their effects on the desired state (`docs/workflows.md`).

use crate::policy::load::Loaded;
use crate::policy::raw;

use super::previous::Want;

/// What the workflows of a policy set compare in a previous state: the attributes of their
/// attribute-change triggers (groups are always kept).
pub fn wanted(loaded: &Loaded) -> Want {
    let mut attributes: Vec<String> = Vec::new();
    for file in &loaded.files {
        for workflow in file.policy.workflows.values() {
            if let raw::Trigger::AttributeChange(names) = &workflow.value.trigger.value {
                attributes.extend(names.iter().map(|n| n.value.clone()));
            }
        }
    }
    attributes.sort();
    attributes.dedup();
    Want { attributes }
}
