/// Word pools for captions. Fragments are XML (already escaped). Neutral pools never contain a class
/// term or an exclusion term (checked by the caption writer and the tests); class-typical entries give the
/// weak correlation between wording and modality that real captions have.
enum Vocabulary {
    /// Anatomy with the classes it is typical of.
    static let anatomy: [(String, [SynthClass])] = [
        ("liver", [.ct, .ultrasound, .mri, .histopathology]), ("pancreas", [.ct, .mri, .histopathology]),
        ("right kidney", [.ct, .ultrasound]), ("left kidney", [.ct, .ultrasound, .histopathology]),
        ("brain", [.mri, .ct]), ("frontal lobe", [.mri]), ("temporal lobe", [.mri]), ("posterior fossa", [.mri, .ct]),
        ("cervical spine", [.mri, .xray]), ("lumbar spine", [.mri, .xray, .ct]), ("knee", [.mri, .xray]),
        ("chest", [.xray, .ct]), ("right lung", [.ct, .xray]), ("left upper lobe", [.ct, .xray]),
        ("mediastinum", [.ct, .xray]),
        ("thyroid gland", [.ultrasound, .histopathology]), ("breast", [.ultrasound, .mri, .histopathology]),
        ("heart", [.ultrasound, .ct, .xray]), ("gallbladder", [.ultrasound]),
        ("common bile duct", [.ultrasound, .endoscopy]),
        ("sigmoid colon", [.endoscopy, .ct]), ("ascending colon", [.endoscopy]),
        ("gastric antrum", [.endoscopy, .histopathology]),
        ("duodenum", [.endoscopy]), ("esophagus", [.endoscopy, .histopathology]), ("right main bronchus", [.endoscopy]),
        ("urinary bladder", [.endoscopy, .ultrasound]), ("hip", [.xray, .mri]), ("left hand", [.xray]),
        ("femur", [.xray]),
        ("tibia", [.xray]), ("skin", [.histopathology]), ("lymph node", [.histopathology, .ultrasound, .ct]),
        ("abdomen", [.ct, .ultrasound, .xray]), ("pelvis", [.ct, .mri, .xray]), ("orbit", [.ct, .mri]),
        ("prostate", [.mri, .histopathology]), ("right ovary", [.ultrasound, .mri]), ("rectum", [.endoscopy, .mri]),
        ("paranasal sinuses", [.ct]), ("soft tissue mass", [.histopathology, .mri]),
        ("appendix", [.ct, .ultrasound, .histopathology])
    ]

    /// Findings shared by all classes.
    static let sharedFindings = [
        "showing a well-defined lesion", "demonstrating an irregular mass", "with multiple small nodules",
        "showing diffuse wall thickening", "revealing a cystic lesion", "with no evidence of recurrence",
        "showing a heterogeneous mass", "with a lobulated contour", "showing partial regression of the lesion",
        "demonstrating marked enlargement", "with focal calcification", "showing normal findings",
        "showing a solitary lesion measuring {n} cm", "with an infiltrative margin", "revealing a {n} mm nodule"
    ]

    /// Findings typical of one class (no class term in them).
    static let classFindings: [SynthClass: [String]] = [
        .ct: [
            "showing a hypodense lesion", "with a hyperdense focus", "demonstrating ground-glass opacities",
            "with arterial phase enhancement"
        ],
        .mri: [
            "showing a hyperintense lesion", "with restricted diffusion", "showing a hypointense rim",
            "demonstrating perilesional oedema"
        ],
        .xray: [
            "showing a consolidation", "with a displaced fracture", "demonstrating pleural effusion",
            "showing cardiomegaly"
        ],
        .ultrasound: [
            "showing a hypoechoic nodule", "with posterior acoustic enhancement", "showing an anechoic cyst",
            "with increased vascularity"
        ],
        .histopathology: [
            "showing atypical cells", "with numerous mitotic figures", "showing glandular architecture",
            "with lymphocytic infiltration"
        ],
        .endoscopy: [
            "showing an ulcerated lesion", "with a sessile polyp", "showing erythematous mucosa",
            "with a friable stricture"
        ]
    ]

    /// Neutral openers for a caption's lead sentence.
    static let neutralOpeners = [
        "Representative image of the {a}", "Axial image of the {a}", "Image of the {a}",
        "Preoperative image of the {a}",
        "Follow-up image of the {a}", "Close-up view of the {a}", "Coronal view of the {a}",
        "Magnified view of the {a}",
        "Baseline examination of the {a}", "Imaging of the {a}", "Findings in the {a}", "Case {n}: the {a}"
    ]

    /// Lead phrases naming the modality (each contains exactly one class's terms).
    static let modalityLeads: [SynthClass: [String]] = [
        .ct: [
            "Axial contrast-enhanced CT of the {a}", "Non-contrast computed tomography of the {a}",
            "Coronal CT reconstruction of the {a}",
            "CT angiography of the {a}", "CTA of the {a}", "HRCT of the {a}", "MDCT of the {a}",
            "Computed tomography scan of the {a}"
        ],
        .mri: [
            "Axial T2-weighted MRI of the {a}", "Sagittal T1-weighted image of the {a}", "Axial FLAIR image of the {a}",
            "Diffusion-weighted MR image of the {a}", "Contrast-enhanced magnetic resonance imaging of the {a}",
            "DWI of the {a}",
            "Coronal MRI of the {a}", "MR angiography of the {a}"
        ],
        .xray: [
            "Posteroanterior radiograph of the {a}", "Plain radiograph of the {a}", "Anteroposterior X-ray of the {a}",
            "Lateral radiography of the {a}", "Plain film of the {a}", "CXR on admission of the {a}", "Xray of the {a}",
            "X ray of the {a}", "Radiographic appearance of the {a}"
        ],
        .ultrasound: [
            "Transabdominal ultrasound of the {a}", "Ultrasonography of the {a}", "Color Doppler image of the {a}",
            "Sonographic appearance of the {a}", "Grey-scale sonography of the {a}",
            "Transthoracic echocardiography of the {a}",
            "Doppler ultrasound of the {a}"
        ],
        .histopathology: [
            "Photomicrograph of the {a} biopsy", "Histological section of the {a}",
            "H&amp;E staining of the {a} specimen",
            "Hematoxylin and eosin stained section of the {a}", "Immunohistochemistry of the {a}",
            "Histopathology of the resected {a}", "Histology of the {a}"
        ],
        .endoscopy: [
            "Endoscopic view of the {a}", "Colonoscopy showing the {a}", "Upper endoscopy of the {a}",
            "Gastroscopy of the {a}",
            "Bronchoscopy of the {a}", "Cystoscopy of the {a}", "Endoscopic image of the {a}"
        ]
    ]

    /// Short mentions of a modality for later sentences.
    static let mentions: [SynthClass: [String]] = [
        .ct: ["CT", "computed tomography", "contrast-enhanced CT", "MDCT", "HRCT", "CT angiography", "CTA"],
        .mri: [
            "MRI", "MR imaging", "magnetic resonance imaging", "T2-weighted imaging", "FLAIR imaging", "DWI",
            "T1-weighted imaging"
        ],
        .xray: [
            "radiograph", "plain radiography", "X-ray", "plain film", "CXR", "chest x-ray", "radiographic examination"
        ],
        .ultrasound: [
            "ultrasound", "ultrasonography", "sonography", "Doppler ultrasound", "sonographic examination",
            "echocardiography"
        ],
        .histopathology: [
            "histopathology", "histology", "H&amp;E staining", "immunohistochemistry", "histological examination",
            "hematoxylin and eosin staining"
        ],
        .endoscopy: ["endoscopy", "colonoscopy", "gastroscopy", "bronchoscopy", "cystoscopy", "endoscopic examination"]
    ]

    /// Sentences that carry a mention (`{m}`).
    static let mentionSentences = [
        "The diagnosis was confirmed by {m}.", "These findings were also evident on {m}.",
        "Images were obtained with {m}.",
        "The lesion was first detected on {m}.", "Appearance on {m} at the same visit.", "Assessment by {m} is shown."
    ]

    /// Sentences that name a different modality as history only (misleading captions).
    static let priorSentences = [
        "Compared with prior {m}, the lesion has decreased in size.", "A previous {m} had been reported as normal.",
        "The patient had undergone {m} two years earlier.", "Findings on an earlier {m} were inconclusive."
    ]

    static let context = [
        "in a {n}-year-old man with {c}", "in a {n}-year-old woman with {c}", "at {n}-month follow-up",
        "before treatment",
        "after {n} cycles of chemotherapy", "obtained on admission", "on postoperative day {n}",
        "in a patient with {c}",
        "three weeks after surgery", "at the time of diagnosis"
    ]

    static let complaints = [
        "abdominal pain", "fever", "headache", "persistent cough", "weight loss", "hematuria", "dysphagia",
        "a palpable mass", "chest pain", "seizures", "back pain", "anaemia"
    ]

    /// Extra neutral sentences (annotations, panels, statistics) with inline markup.
    static let extras = [
        "Arrows indicate the lesion.", "The arrowhead marks the margin of the mass.",
        "Asterisk denotes the main finding.",
        "(<bold>A</bold>) Before and (<bold>B</bold>) after treatment.", "Scale bar, {n} μm.",
        "The dashed line outlines the region of interest.", "Measurements are given in millimetres.",
        "Data are from a cohort of <italic>n</italic> = {n} patients.", "Maximum uptake was SUV<sub>max</sub> {n}.",
        "Lesion volume was {n} cm<sup>3</sup>.", "Note the sharp boundary with the adjacent tissue.",
        "No complications were observed during the procedure.", "The patient recovered uneventfully.",
        "Similar findings were seen in {n} other cases.", "Staining for <italic>Ki-67</italic> was weak.",
        "The mass abutted but did not invade the adjacent vessels.", "Symptoms resolved after {n} weeks of therapy.",
        "Written consent was obtained from the patient for publication.",
        "Findings were discussed at the tumour board.",
        "Infection with <italic>Helicobacter pylori</italic> was excluded."
    ]

    /// Lead sentences of captions that the exclusion rule removes.
    static let excludedLeads = [
        "Schematic diagram of the study design", "Flowchart of patient selection",
        "Flow chart of the inclusion process",
        "Kaplan-Meier survival curves of both groups", "Bar chart of lesion counts per group",
        "Schematic illustration of the procedure"
    ]

    /// Titles of articles (neutral).
    static let titleTemplates = [
        "Clinical and imaging features of {x}: a case series", "{X} of the {a}: report of {n} cases",
        "Diagnostic accuracy in {x}: a retrospective study", "Unusual presentation of {x} in the {a}",
        "Outcomes of treatment for {x}: a single-centre experience", "{X}: findings from a prospective cohort"
    ]

    static let diseases = [
        "hepatocellular carcinoma", "pancreatic adenocarcinoma", "glioblastoma", "sarcoidosis", "tuberculosis",
        "Crohn disease", "papillary thyroid carcinoma", "renal cell carcinoma", "osteosarcoma",
        "metastatic melanoma", "pulmonary embolism", "endometriosis", "lymphoma", "gastric cancer"
    ]
}
