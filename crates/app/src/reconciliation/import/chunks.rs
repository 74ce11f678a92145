//! Storing a file in chunks inside the caller's transaction. CSV, BAI2, MT940/MT942 and camt
//! are read as streams, one line at a time (CSV's preset found first by a pass that keeps
//! nothing); XLSX and OFX are read whole by their readers and each line is dropped once
//! converted and written. The file row is written first, so a duplicate is known before
//! anything is read.

use clearway_formats::statements::{csv, FileFormat, Statement, StatementEvent};
use clearway_store::reconciliation::statements::{Begun, FileWriter, NewFileHead};

use super::*;

/// Reads, converts and stores `bytes` inside `tx` (see [`super::store_file`]).
pub(super) async fn store(
    tx: &mut Tx,
    actor: &Actor,
    bytes: &[u8],
    options: &ImportOptions,
) -> AppResult<StoredFile> {
    let format = statements::file_format(bytes, options.format).map_err(read_error)?;
    // A mapping given by the caller is checked before the duplicate check, as it always was.
    let given = match format {
        FileFormat::Csv => statements::given_mapping(&options.sheet).map_err(read_error)?,
        _ => None,
    };
    let head = NewFileHead {
        sha256: hex::encode(Sha256::digest(bytes)),
        format: format.as_str().to_string(),
        size_bytes: bytes.len(),
    };
    let mut writer = match store::begin_file(tx, actor, &head).await? {
        Begun::Duplicate(stored) => return Ok(stored),
        Begun::New(writer) => writer,
    };
    let mut out = Out {
        tx: &mut *tx,
        actor,
        writer: &mut writer,
        options,
    };
    let preset = if format == FileFormat::Csv {
        Some(out.csv(bytes, given).await?)
    } else if out.streamed(bytes, format).await? {
        None
    } else {
        let mut read =
            statements::read_file(bytes, Some(format), &options.sheet).map_err(read_error)?;
        statements::balance::apply(options.balance_policy, &mut read.statements)
            .map_err(read_error)?;
        for st in read.statements {
            out.statement(st).await?;
        }
        read.preset
    };
    Ok(writer.finish(tx, actor, preset.as_deref()).await?)
}

/// A streamed statement: its head, the warnings its lines gave, its booked lines, its end.
struct Started {
    head: Statement,
    warnings: Vec<String>,
    booked: usize,
    end: Option<Statement>,
}

/// Where converted lines go.
struct Out<'a> {
    tx: &'a mut Tx,
    actor: &'a Actor,
    writer: &'a mut FileWriter,
    options: &'a ImportOptions,
}

impl Out<'_> {
    /// Refuses a file past [`LINES_MAX`] lines once `more` are added.
    fn check_total(&self, more: usize) -> AppResult<()> {
        if self.writer.line_count() + more > LINES_MAX {
            return Err(invalid(
                "file",
                format!("more than {LINES_MAX} lines; at most {LINES_MAX} per file"),
            ));
        }
        Ok(())
    }

    async fn lines(&mut self, index: usize, lines: &[NewLine]) -> AppResult<()> {
        self.check_total(lines.len())?;
        self.writer.add_lines(self.tx, index, lines).await?;
        Ok(())
    }

    /// One statement read whole: its lines converted and written a chunk at a time, each
    /// dropped (with its raw text) once converted.
    async fn statement(&mut self, mut st: Statement) -> AppResult<()> {
        let (head, mut warnings) = statement_head(&st, self.options)?;
        let index = self
            .writer
            .add_statement(self.tx, self.actor, &head)
            .await?;
        let lines = std::mem::take(&mut st.lines);
        let mut chunk = Vec::with_capacity(CHUNK_LINES.min(lines.len()));
        let mut booked = 0usize;
        for l in lines {
            if let Some(line) = booked_line(&st, &l, head.currency, &mut warnings)? {
                chunk.push(line);
                booked += 1;
            }
            if chunk.len() == CHUNK_LINES {
                self.lines(index, &chunk).await?;
                chunk.clear();
            }
        }
        self.lines(index, &chunk).await?;
        if booked == 0 {
            warnings.push(NO_ACTIVITY.to_string());
        }
        let tail = statement_tail(&st, head.currency, warnings)?;
        self.writer.finish_statement(self.tx, index, &tail).await?;
        Ok(())
    }

    /// A BAI2, MT940/MT942 or camt file streamed: each statement stored when it starts, the
    /// lines of all of them buffered up to [`CHUNK_LINES`] in all, then written. Their ends
    /// (balances, warnings, the balance policy) are stored once the whole file is read, as
    /// [`statements::read_file`] gives them: an error anywhere refuses the file first.
    /// `false` (nothing done) for a format that is not streamed.
    async fn streamed(&mut self, bytes: &[u8], format: FileFormat) -> AppResult<bool> {
        if format == FileFormat::Xlsx {
            return Ok(false);
        }
        let decoded = statements::decode(bytes);
        let Some(events) = statements::stream_text(&decoded.text, format) else {
            return Ok(false);
        };
        let mut open: Vec<(usize, Currency, Vec<NewLine>)> = Vec::new();
        let mut started: Vec<Started> = Vec::new();
        let mut buffered = 0;
        for event in events {
            match event.map_err(read_error)? {
                StatementEvent::Start(mut head) => {
                    head.encoding = Some(decoded.encoding.to_string());
                    let (row, _) = open_head(&head, self.options)?;
                    let index = self.writer.add_statement(self.tx, self.actor, &row).await?;
                    open.push((index, row.currency, Vec::new()));
                    started.push(Started {
                        head,
                        warnings: Vec::new(),
                        booked: 0,
                        end: None,
                    });
                }
                StatementEvent::Line(i, l) => {
                    let (Some(s), Some(o)) = (started.get_mut(i), open.get_mut(i)) else {
                        continue;
                    };
                    contradicts(
                        l.currency.as_deref(),
                        self.options.currency.as_deref(),
                        l.line,
                    )?;
                    if let Some(line) = booked_line(&s.head, &l, o.1, &mut s.warnings)? {
                        o.2.push(line);
                        s.booked += 1;
                        buffered += 1;
                    }
                    if buffered == CHUNK_LINES {
                        self.flush(&mut open).await?;
                        buffered = 0;
                    }
                }
                StatementEvent::End(i, end) => {
                    if let Some(s) = started.get_mut(i) {
                        s.end = Some(end);
                    }
                }
            }
        }
        self.flush(&mut open).await?;
        self.finish_streamed(started, &open, &decoded).await?;
        Ok(true)
    }

    /// The ends of a streamed file's statements, as [`statements::read_file`] and
    /// [`statements::balance::apply`] give them.
    async fn finish_streamed(
        &mut self,
        started: Vec<Started>,
        open: &[(usize, Currency, Vec<NewLine>)],
        decoded: &statements::Decoded<'_>,
    ) -> AppResult<()> {
        if started.is_empty() {
            return Err(read_error(statements::StatementError::Empty));
        }
        let mut ends = Vec::with_capacity(started.len());
        let mut rest = Vec::with_capacity(started.len());
        for s in started {
            let mut end = s.end.unwrap_or(s.head);
            end.encoding = Some(decoded.encoding.to_string());
            end.warnings.extend(decoded.warning.clone());
            ends.push(end);
            rest.push((s.warnings, s.booked));
        }
        statements::balance::apply(self.options.balance_policy, &mut ends).map_err(read_error)?;
        for ((st, (line_warnings, booked)), (index, currency, _)) in ends.iter().zip(rest).zip(open)
        {
            complete(st)?;
            let mut warnings = st.warnings.clone();
            warnings.extend(line_warnings);
            if booked == 0 {
                warnings.push(NO_ACTIVITY.to_string());
            }
            let tail = statement_tail(st, *currency, warnings)?;
            self.writer.finish_statement(self.tx, *index, &tail).await?;
        }
        Ok(())
    }

    /// A CSV file streamed: lines of all its statements (one per currency) buffered up to
    /// [`CHUNK_LINES`] in all, then written. Returns the preset read with.
    async fn csv(&mut self, bytes: &[u8], given: Option<csv::Mapping>) -> AppResult<String> {
        let decoded = statements::decode(bytes);
        let text = &decoded.text;
        let mapping = match given {
            Some(m) => m,
            None => csv::detect_csv_preset(text).map_err(read_error)?,
        };
        let mut stream = csv::stream_csv(text, &mapping).map_err(read_error)?;
        let account_id = statement_account(stream.account(), self.options);
        let start = stream.start_line();
        nul_free(
            &format!("line {start}: statement header"),
            std::iter::once(&account_id),
        )?;
        // Per statement: its index in the file, its currency, its lines not yet written.
        let mut open: Vec<(usize, Currency, Vec<NewLine>)> = Vec::new();
        let mut booked: Vec<usize> = Vec::new();
        let mut buffered = 0;
        // why: not a `for` loop, which would hold the stream borrowed while the body asks it
        // for a new statement's currency
        #[allow(clippy::while_let_on_iterator)]
        while let Some(item) = stream.next() {
            let (i, line) = item.map_err(read_error)?;
            if i == open.len() {
                let currency = statement_currency(stream.currency(i), self.options, start)?;
                let index = self
                    .csv_statement(&account_id, currency, start, decoded.encoding)
                    .await?;
                open.push((index, currency, Vec::new()));
                booked.push(0usize);
            }
            booked[i] += 1;
            let converted = convert_line(None, &line, open[i].1)?;
            open[i].2.push(converted);
            buffered += 1;
            if buffered == CHUNK_LINES {
                self.flush(&mut open).await?;
                buffered = 0;
            }
        }
        self.flush(&mut open).await?;
        let mut finished = stream.finish();
        statements::balance::apply(self.options.balance_policy, &mut finished)
            .map_err(read_error)?;
        for (i, st) in finished.into_iter().enumerate() {
            if i == open.len() {
                // A file without data rows: its one statement, empty.
                let currency = statement_currency(st.currency.as_deref(), self.options, start)?;
                let index = self
                    .csv_statement(&account_id, currency, start, decoded.encoding)
                    .await?;
                open.push((index, currency, Vec::new()));
                booked.push(0);
            }
            let mut warnings = st.warnings.clone();
            warnings.extend(decoded.warning.clone());
            if booked[i] == 0 {
                warnings.push(NO_ACTIVITY.to_string());
            }
            let tail = statement_tail(&st, open[i].1, warnings)?;
            self.writer
                .finish_statement(self.tx, open[i].0, &tail)
                .await?;
        }
        Ok(mapping.name)
    }

    async fn csv_statement(
        &mut self,
        account_id: &str,
        currency: Currency,
        start: usize,
        encoding: &str,
    ) -> AppResult<usize> {
        let head = NewStatementHead {
            format: format_name(statements::StatementFormat::Csv).to_string(),
            account_id: account_id.to_string(),
            currency,
            encoding: Some(encoding.to_string()),
            reference: None,
            statement_number: None,
            source_line: start,
        };
        Ok(self
            .writer
            .add_statement(self.tx, self.actor, &head)
            .await?)
    }

    /// Writes every statement's buffered lines.
    async fn flush(&mut self, open: &mut [(usize, Currency, Vec<NewLine>)]) -> AppResult<()> {
        for (index, _, lines) in open.iter_mut() {
            if !lines.is_empty() {
                self.lines(*index, lines).await?;
                lines.clear();
            }
        }
        Ok(())
    }
}
